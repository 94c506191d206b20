//! `smoke-sim proc service restart NAME`: a stand-in for the `hero_proc` command line, for
//! trying an argv restart against the simulation. It asks the simulated hero_proc over its
//! socket, as the real command does, so the restart clears the service's faults.

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The simulated deployment's socket folder (what `serve` printed).
    #[arg(long, env = "PATH_SOCKET", value_name = "DIR")]
    socket_dir: PathBuf,
    /// `service restart NAME` or `service status NAME`, as hero_proc takes them.
    #[arg(num_args = 3, value_names = ["service", "restart|status", "NAME"])]
    words: Vec<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (method, name) = match args.words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["service", "restart", name] => ("service.restart", name),
        ["service", "status", name] => ("service.status", name),
        _ => bail!("usage: smoke-sim proc service restart|status NAME"),
    };
    let socket = args.socket_dir.join("hero_proc").join("rpc.sock");
    let stream = tokio::net::UnixStream::connect(&socket)
        .await
        .with_context(|| format!("hero_proc is not answering on {}", socket.display()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let body =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {"name": name}});
    let req = http::Request::post("/rpc")
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))?;
    let resp = sender.send_request(req).await?;
    let reply: serde_json::Value =
        serde_json::from_slice(&resp.into_body().collect().await?.to_bytes())?;
    if let Some(e) = reply.get("error") {
        bail!("hero_proc: {}", e["message"].as_str().unwrap_or("error"));
    }
    println!("{}", reply["result"]);
    Ok(())
}
