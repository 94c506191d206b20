//! The TLS handshake, with rustls on the ring provider and the webpki roots (plus the panel's
//! `ca_file`). The peer chain is kept even when verification fails, so the failure can say what
//! is wrong with the certificate instead of "handshake failed".

use crate::{cert, SetupError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use smoke_core::engine::CertInfo;
use smoke_core::{
    engine::Phase,
    prelude::{Cause, Failure},
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// TLS settings for one panel.
pub struct Tls {
    provider: Arc<CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    /// Roots of the panel's `ca_file` are trusted beside the webpki ones.
    private_roots: bool,
}

impl Tls {
    /// The webpki roots, plus the certificates in `ca_file` (PEM) for a private CA.
    pub fn new(ca_file: Option<&Path>) -> Result<Tls, SetupError> {
        // The one crypto provider of smoke, chosen here explicitly rather than by whichever
        // default a dependency's features happen to enable.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca_file {
            let certs = read_pem(path)?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(SetupError::CaFileEmpty {
                    path: path.to_path_buf(),
                });
            }
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| SetupError::Verifier(e.to_string()))?;
        Ok(Tls {
            provider,
            verifier,
            private_roots: ca_file.is_some(),
        })
    }

    /// Whether it trusts a private CA (`[external] ca_file`) that no system store holds.
    pub fn has_private_roots(&self) -> bool {
        self.private_roots
    }

    /// Shakes hands on `tcp` for `host`; on success, the peer certificate's facts.
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
    ) -> Result<(TlsStream<TcpStream>, Option<CertInfo>), Failure> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let verifier = Arc::new(Keeping {
            inner: self.verifier.clone(),
            seen: seen.clone(),
        });
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::at(Cause::Checker, Phase::Tls, format!("TLS set-up: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let name =
            ServerName::try_from(host.trim_matches(['[', ']']).to_string()).map_err(|e| {
                Failure::at(
                    Cause::Tls,
                    Phase::Tls,
                    format!("`{host}` is not a TLS server name: {e}"),
                )
            })?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let now = jiff::Timestamp::now();
        match connector.connect(name, tcp).await {
            Ok(stream) => {
                let info = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .and_then(|c| cert::parse(c, now))
                    .map(|p| p.info);
                Ok((stream, info))
            }
            Err(e) => {
                let chain = seen.lock().map(|c| c.clone()).unwrap_or_default();
                Err(handshake_failure(host, &e, chain.first(), now))
            }
        }
    }
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| SetupError::CaFile {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
}

/// Verifies with webpki, keeping the chain the server showed.
#[derive(Debug)]
struct Keeping {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Mutex<Vec<CertificateDer<'static>>>>,
}

impl ServerCertVerifier for Keeping {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(end_entity.clone().into_owned());
            seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The handshake's failure named by what is wrong with the certificate, where it is that.
fn handshake_failure(
    host: &str,
    e: &std::io::Error,
    leaf: Option<&CertificateDer<'static>>,
    now: jiff::Timestamp,
) -> Failure {
    let parsed = leaf.and_then(|c| cert::parse(c, now));
    let tls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>());
    let detail = match (tls_error, &parsed) {
        (Some(TlsError::InvalidCertificate(ce)), Some(p)) => match ce {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                cert::describe(&p.info)
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("certificate not valid until {}", cert::date(p.not_before))
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "wrong host: the certificate is for {}, not {host}",
                    p.names.join(", ")
                )
            }
            CertificateError::UnknownIssuer => format!(
                "untrusted certificate: its issuer {} is not a trusted root (add a private CA with ca_file)",
                p.info.issuer
            ),
            other => format!("certificate rejected: {other:?}"),
        },
        (Some(other), _) => format!("TLS handshake failed: {other}"),
        (None, _) => format!("TLS handshake failed: {e}"),
    };
    Failure::at(Cause::Tls, Phase::Tls, detail)
}
