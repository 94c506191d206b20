//! A small HTTPS client that trusts only the deployment's test CA, asks for the public host by
//! SNI, and remembers the certificate it was shown even when it rejects it.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::Value;
use smoke_sim::{Deployment, Options, PUBLIC_HOST};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Long enough for any healthy answer on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub async fn external() -> Deployment {
    external_with(Options::default()).await
}

pub async fn external_with(opts: Options) -> Deployment {
    Deployment::start_with(Options {
        external: true,
        ..opts
    })
    .await
    .unwrap()
}

/// Checks the chain like a browser would, but keeps the end-entity certificate for the test.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end_entity.clone().into_owned());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What one TLS handshake with the gateway gave.
pub struct Handshake {
    pub result: io::Result<tokio_rustls::client::TlsStream<TcpStream>>,
    /// The end-entity certificate the gateway presented, verified or not.
    pub cert: Option<CertificateDer<'static>>,
}

impl Handshake {
    /// Why verification failed, as rustls names it; `None` when it succeeded.
    pub fn cert_error(&self) -> Option<CertificateError> {
        let err = self.result.as_ref().err()?;
        match err.get_ref()?.downcast_ref::<rustls::Error>()? {
            rustls::Error::InvalidCertificate(e) => Some(e.clone()),
            other => panic!("not a certificate error: {other:?}"),
        }
    }
}

/// Connects to the gateway as a client of `https://herodemo.smoke.test:<port>` would.
pub async fn handshake(d: &Deployment) -> Handshake {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ca = d.ca_file().expect("started with external: true");
    let verifier = Arc::new(Recording {
        inner: webpki(ca, provider.clone()),
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let tcp = TcpStream::connect(d.gateway_addr().unwrap()).await.unwrap();
    let name = ServerName::try_from(PUBLIC_HOST).unwrap();
    let result = tokio::time::timeout(
        PATIENCE,
        TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .expect("the handshake finishes");
    let cert = verifier.seen.lock().unwrap().take();
    Handshake { result, cert }
}

fn webpki(ca: &Path, provider: Arc<CryptoProvider>) -> Arc<WebPkiServerVerifier> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap()
}

/// An HTTP/1.1 connection over a verified TLS session.
pub async fn open(d: &Deployment) -> SendRequest<Full<Bytes>> {
    let tls = handshake(d).await.result.expect("a trusted certificate");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

/// A parsed answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn request(method: &str, target: &str, body: &[u8]) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(target)
        .header(http::header::HOST, PUBLIC_HOST)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap()
}

/// One request on a fresh connection, answered whole within [`PATIENCE`].
pub async fn send(d: &Deployment, req: Request<Full<Bytes>>) -> Reply {
    let mut sender = open(d).await;
    tokio::time::timeout(PATIENCE, async {
        let resp = sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    })
    .await
    .expect("an answer in time")
}

pub async fn get(d: &Deployment, target: &str) -> Reply {
    send(d, request("GET", target, b"")).await
}

/// The JSON-RPC answer to `method` posted to `target`, in `context` if given.
pub async fn rpc(d: &Deployment, target: &str, method: &str, context: Option<&str>) -> Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {}});
    let mut req = request("POST", target, body.to_string().as_bytes());
    if let Some(ctx) = context {
        req.headers_mut()
            .insert("x-hero-context", ctx.parse().unwrap());
    }
    let reply = send(d, req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}
