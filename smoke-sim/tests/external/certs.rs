//! The gateway's certificate under each certificate fault: what it presents, and whether a
//! client that trusts only the test CA accepts it.

use std::time::{SystemTime, UNIX_EPOCH};

use rustls::CertificateError;
use smoke_sim::{Deployment, Fault, PUBLIC_HOST};
use x509_parser::extensions::GeneralName;

use crate::client::{external, handshake};

const DAY: i64 = 24 * 60 * 60;

/// The parts of the presented certificate a monitor looks at.
#[derive(Debug)]
struct Presented {
    /// Days from now, rounded to the nearest day.
    not_before_days: i64,
    not_after_days: i64,
    names: Vec<String>,
    issuer: String,
    error: Option<CertificateError>,
}

async fn presented(d: &Deployment) -> Presented {
    let shake = handshake(d).await;
    let error = shake.cert_error();
    let der = shake.cert.expect("the gateway presented a certificate");
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let days = |t: i64| (t - now + DAY / 2).div_euclid(DAY);
    let names = cert
        .subject_alternative_name()
        .unwrap()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(name) => Some(name.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let issuer = cert
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    Presented {
        not_before_days: days(cert.validity().not_before.timestamp()),
        not_after_days: days(cert.validity().not_after.timestamp()),
        names,
        issuer,
        error,
    }
}

#[tokio::test]
async fn the_valid_certificate_is_trusted_for_the_public_host() {
    let d = external().await;
    let pem = std::fs::read_to_string(d.ca_file().unwrap()).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let cert = presented(&d).await;
    assert_eq!(cert.error, None);
    assert_eq!(cert.names, [PUBLIC_HOST]);
    assert_eq!(cert.issuer, "smoke-sim test CA");
    assert_eq!(cert.not_after_days, 90);
    assert!(cert.not_before_days <= 0);
}

#[tokio::test]
async fn expiring_certificates_are_still_valid_but_close_to_their_end() {
    let d = external().await;
    for (fault, days) in [(Fault::CertExpiring10d, 10), (Fault::CertExpiring3d, 3)] {
        d.set(fault.clone());
        let cert = presented(&d).await;
        assert_eq!(cert.error, None, "{fault}");
        assert_eq!(cert.not_after_days, days, "{fault}");
        assert_eq!(cert.names, [PUBLIC_HOST]);
        d.clear(&fault);
    }
}

#[tokio::test]
async fn an_expired_certificate_is_rejected_as_expired() {
    let d = external().await;
    d.set(Fault::CertExpired);
    let cert = presented(&d).await;
    assert!(
        matches!(
            cert.error,
            Some(CertificateError::Expired | CertificateError::ExpiredContext { .. })
        ),
        "{cert:?}"
    );
    assert_eq!((cert.not_before_days, cert.not_after_days), (-30, -2));
    assert_eq!(cert.names, [PUBLIC_HOST]);
}

#[tokio::test]
async fn a_wrong_host_certificate_names_only_the_other_host() {
    let d = external().await;
    d.set(Fault::CertWrongHost);
    let cert = presented(&d).await;
    assert!(
        matches!(
            cert.error,
            Some(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{cert:?}"
    );
    assert_eq!(cert.names, ["other.smoke.test"]);
    assert_eq!(cert.not_after_days, 90);
}

#[tokio::test]
async fn an_untrusted_certificate_comes_from_another_ca() {
    let d = external().await;
    d.set(Fault::CertUntrusted);
    let cert = presented(&d).await;
    assert_eq!(
        cert.error,
        Some(CertificateError::UnknownIssuer),
        "{cert:?}"
    );
    assert_eq!(cert.names, [PUBLIC_HOST]);
    assert_ne!(cert.issuer, "smoke-sim test CA");
    assert_eq!(cert.not_after_days, 90);
}

#[tokio::test]
async fn the_worst_certificate_fault_wins_and_clearing_restores_the_valid_one() {
    let d = external().await;
    d.set(Fault::CertExpiring10d);
    d.set(Fault::CertExpired);
    d.set(Fault::CertWrongHost);
    let cert = presented(&d).await;
    assert_eq!(cert.not_after_days, -2, "{cert:?}");
    d.clear(&Fault::CertExpired);
    assert_eq!(presented(&d).await.names, ["other.smoke.test"]);
    d.clear_all();
    let cert = presented(&d).await;
    assert_eq!((cert.error, cert.not_after_days), (None, 90));
}
