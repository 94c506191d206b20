//! The gateway's certificates: a test CA (the one a client is told to trust) and one leaf per
//! certificate the faults can ask for, all made at start so that switching is instant.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::fault::Fault;
use crate::world::World;

/// The name the gateway answers to, as herodemo.gent01.grid.tf does for the real one.
pub const PUBLIC_HOST: &str = "herodemo.smoke.test";
/// A second name in the zone: the only name on the wrong-host certificate.
pub const OTHER_HOST: &str = "other.smoke.test";
/// The subject of the CA written to `ca.pem`.
pub const CA_NAME: &str = "smoke-sim test CA";
/// The subject of the CA behind the untrusted leaf; it is never written anywhere.
pub const ROGUE_CA_NAME: &str = "smoke-sim untrusted CA";

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Which certificate the gateway presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leaf {
    Valid,
    Expiring10d,
    Expiring3d,
    Expired,
    WrongHost,
    Untrusted,
}

impl Leaf {
    const ALL: [Leaf; 6] = [
        Leaf::Valid,
        Leaf::Expiring10d,
        Leaf::Expiring3d,
        Leaf::Expired,
        Leaf::WrongHost,
        Leaf::Untrusted,
    ];

    /// The leaf the active faults ask for. When several certificate faults are on, the worst
    /// wins: expired, then untrusted, then wrong host, then 3 days left, then 10 days left.
    pub fn chosen(world: &World) -> Leaf {
        [
            (Fault::CertExpired, Leaf::Expired),
            (Fault::CertUntrusted, Leaf::Untrusted),
            (Fault::CertWrongHost, Leaf::WrongHost),
            (Fault::CertExpiring3d, Leaf::Expiring3d),
            (Fault::CertExpiring10d, Leaf::Expiring10d),
        ]
        .into_iter()
        .find(|(fault, _)| world.has(fault))
        .map_or(Leaf::Valid, |(_, leaf)| leaf)
    }

    fn host(self) -> &'static str {
        match self {
            Leaf::WrongHost => OTHER_HOST,
            _ => PUBLIC_HOST,
        }
    }

    /// `(not_before, not_after)` as days from now; negative is in the past.
    fn validity_days(self) -> (i64, i64) {
        match self {
            Leaf::Valid | Leaf::WrongHost | Leaf::Untrusted => (-1, 90),
            Leaf::Expiring10d => (-80, 10),
            Leaf::Expiring3d => (-87, 3),
            Leaf::Expired => (-30, -2),
        }
    }
}

/// The test CA and every leaf, made once per deployment.
pub struct Certs {
    ca_pem: String,
    leaves: Vec<(Leaf, Arc<CertifiedKey>)>,
}

impl Certs {
    /// A fresh CA and a leaf for each [`Leaf`]; `provider` loads the leaves' keys.
    pub fn generate(provider: &CryptoProvider) -> io::Result<Certs> {
        let now = now_secs();
        let trusted = new_ca(CA_NAME, now).map_err(io::Error::other)?;
        // Only the untrusted leaf is signed by it, and it is never written to disk.
        let rogue = new_ca(ROGUE_CA_NAME, now).map_err(io::Error::other)?;
        let leaves = Leaf::ALL
            .iter()
            .map(|&leaf| {
                let issuer = if leaf == Leaf::Untrusted {
                    &rogue
                } else {
                    &trusted
                };
                Ok((leaf, make_leaf(leaf, issuer, now, provider)?))
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Certs {
            ca_pem: trusted.pem(),
            leaves,
        })
    }

    /// The trusted test CA, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn leaf(&self, leaf: Leaf) -> Option<Arc<CertifiedKey>> {
        self.leaves
            .iter()
            .find(|(l, _)| *l == leaf)
            .map(|(_, key)| key.clone())
    }
}

impl fmt::Debug for Certs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certs")
            .field("leaves", &self.leaves.len())
            .finish_non_exhaustive()
    }
}

/// Picks the certificate per handshake, so a fault switched on applies to the next connection
/// without rebuilding the TLS configuration.
pub struct Resolver {
    pub certs: Arc<Certs>,
    pub world: Arc<World>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Resolver {
    // The name the client asked for is ignored on purpose: a wrong-host certificate must be
    // presented to a client that asks for the right host.
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.certs.leaf(Leaf::chosen(&self.world))
    }
}

/// Seconds since the Unix epoch, whole: certificates carry no fractions.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Sets the validity window in days from `now` (seconds since the epoch). The dates are
/// built from `date_time_ymd` because rcgen does not re-export its date type and this crate
/// does not depend on `time` itself.
fn set_validity(params: &mut CertificateParams, now: u64, (from, to): (i64, i64)) {
    let at = |days: i64| {
        let secs = now.saturating_add_signed(days * DAY.as_secs() as i64);
        Duration::from_secs(secs)
    };
    params.not_before = rcgen::date_time_ymd(1970, 1, 1) + at(from);
    params.not_after = rcgen::date_time_ymd(1970, 1, 1) + at(to);
}

fn new_ca(name: &str, now: u64) -> Result<CertifiedIssuer<'static, KeyPair>, rcgen::Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "smoke");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, now, (-1, 3650));
    CertifiedIssuer::self_signed(params, KeyPair::generate()?)
}

fn make_leaf(
    leaf: Leaf,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    now: u64,
    provider: &CryptoProvider,
) -> io::Result<Arc<CertifiedKey>> {
    let mut params =
        CertificateParams::new(vec![leaf.host().to_string()]).map_err(io::Error::other)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, leaf.host());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, now, leaf.validity_days());
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.signed_by(&key, issuer).map_err(io::Error::other)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let certified = CertifiedKey::from_der(vec![cert.der().clone()], key_der, provider)
        .map_err(io::Error::other)?;
    Ok(Arc::new(certified))
}
