//! The outside view's faults by name, as `smoke-sim serve --fault` takes them.

use smoke_sim::{Deployment, Fault, Options};

#[test]
fn external_faults_round_trip_through_their_names() {
    for (text, fault, component) in [
        ("cert-expiring-10d", Fault::CertExpiring10d, "gateway"),
        ("cert-expiring-3d", Fault::CertExpiring3d, "gateway"),
        ("cert-expired", Fault::CertExpired, "gateway"),
        ("cert-wrong-host", Fault::CertWrongHost, "gateway"),
        ("cert-untrusted", Fault::CertUntrusted, "gateway"),
        ("gateway-502", Fault::Gateway502, "gateway"),
        ("gateway-slow", Fault::GatewaySlow, "gateway"),
        ("dns-nxdomain", Fault::DnsNxdomain, "dns"),
        ("dns-servfail", Fault::DnsServfail, "dns"),
    ] {
        assert_eq!(text.parse::<Fault>(), Ok(fault.clone()), "{text}");
        assert_eq!(fault.to_string(), text);
        assert_eq!(fault.service(), component, "{text}");
        assert_eq!(format!("{text}:{component}").parse::<Fault>(), Ok(fault));
    }
    assert!("cert-expired:hero_os".parse::<Fault>().is_err());
    assert_eq!(
        "Cert_Expiring_10D".parse::<Fault>(),
        Ok(Fault::CertExpiring10d)
    );
}

#[tokio::test]
async fn without_external_nothing_listens_outside() {
    let d = Deployment::start_with(Options::default()).await.unwrap();
    assert_eq!(d.gateway_addr(), None);
    assert_eq!(d.public_url(), None);
    assert_eq!(d.dns_addr(), None);
    assert_eq!(d.ca_file(), None);
}

#[tokio::test]
async fn the_public_url_names_the_host_and_the_gateway_port() {
    let d = crate::client::external().await;
    let port = d.gateway_addr().unwrap().port();
    assert_eq!(
        d.public_url().unwrap(),
        format!("https://herodemo.smoke.test:{port}")
    );
    assert!(d.gateway_addr().unwrap().ip().is_loopback());
    let ca = d.ca_file().unwrap().to_path_buf();
    assert!(ca.ends_with("ca.pem") && ca.exists());
    drop(d);
    assert!(!ca.exists(), "the CA goes with the deployment");
}
