//! What a certificate says, in the words an operator needs: when it ends, who issued it, which
//! names it is for.

use rustls_pki_types::CertificateDer;
use smoke_core::engine::CertInfo;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

pub use smoke_core::engine::cert::{date, days_between, describe};

/// The parts of an end-entity certificate smoke reports.
pub struct Parsed {
    pub info: CertInfo,
    pub not_before: jiff::Timestamp,
    /// DNS names and IPs it is valid for (subjectAltName; the CN when there is none).
    pub names: Vec<String>,
}

/// Reads a DER certificate; `None` when it can't be parsed (it is then described by the TLS error).
pub fn parse(der: &CertificateDer<'_>, now: jiff::Timestamp) -> Option<Parsed> {
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    let validity = cert.validity();
    let not_after = jiff::Timestamp::from_second(validity.not_after.timestamp()).ok()?;
    let not_before = jiff::Timestamp::from_second(validity.not_before.timestamp()).ok()?;
    let mut names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok().map(str::to_string)),
        );
    }
    Some(Parsed {
        info: CertInfo {
            not_after,
            days_left: days_between(now, not_after),
            issuer: cert.issuer().to_string(),
            subject: cert.subject().to_string(),
        },
        not_before,
        names,
    })
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

/// SHA-256 of the certificate's SubjectPublicKeyInfo, DER as it stands in the certificate:
/// the key a browser is told to accept. `None` when it can't be parsed.
pub fn key_sha256(der: &CertificateDer<'_>) -> Option<[u8; 32]> {
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.public_key().raw);
    digest.as_ref().try_into().ok()
}
