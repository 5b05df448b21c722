//! TLS client settings for the link (`wss://`) and the media HTTP client (`https://`): rustls
//! with the ring provider (no OpenSSL), the system's root certificates (rustls-native-certs,
//! read on a blocking thread, cached per process) plus `SdkOptions::extra_ca_pem`, and
//! descriptions of TLS failures that say what to fix.
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::error::{Error, Result};

/// The system's root certificates, read once per process (file reads: on a blocking thread).
static NATIVE_ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();

fn native_roots() -> &'static [CertificateDer<'static>] {
    NATIVE_ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::warn!(errors = found.errors.len(), "some system root certificates could not be read");
        }
        found.certs
    })
}

/// rustls client settings: ring provider, TLS 1.2/1.3, the system's roots plus the extra CA.
pub(crate) async fn client_tls_config(extra_ca: Option<PathBuf>) -> Result<Arc<rustls::ClientConfig>> {
    tokio::task::spawn_blocking(move || {
        let mut roots = rustls::RootCertStore::empty();
        let (_added, ignored) = roots.add_parsable_certificates(native_roots().iter().cloned());
        if ignored > 0 {
            tracing::debug!(ignored, "unusable system root certificates skipped");
        }
        if let Some(path) = extra_ca {
            let bad = |why: String| Error::Tls(format!("TLS: extra CA file {}: {why}", path.display()));
            let pem = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
            let mut n = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.add(cert.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
                n += 1;
            }
            if n == 0 {
                return Err(bad("no certificate in it".into()));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))?
}

/// The rustls error inside an I/O error, if the TLS layer is what failed.
pub(crate) fn io_tls_error(e: &std::io::Error) -> Option<rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).cloned()
}

pub(crate) fn ws_tls_error(e: &tokio_tungstenite::tungstenite::Error) -> Option<rustls::Error> {
    use tokio_tungstenite::tungstenite::{error::TlsError, Error as WsError};
    match e {
        WsError::Io(io) => io_tls_error(io),
        WsError::Tls(TlsError::Rustls(r)) => Some((**r).clone()),
        WsError::Tls(TlsError::InvalidDnsName) => Some(rustls::Error::General("invalid server name".into())),
        _ => None,
    }
}

/// A description that says what to do: an untrusted certificate names the CA option.
pub(crate) fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let c = match e {
        rustls::Error::InvalidCertificate(c) => c,
        other => return format!("TLS handshake failed: {other}"),
    };
    let why = match c {
        C::UnknownIssuer => "it is not signed by a trusted CA".to_string(),
        // webpki refuses a CA certificate as the server's own (e.g. `openssl req -x509` adds
        // CA:TRUE): the fix is on the server side, so say it.
        C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
            "it is a CA certificate used as the server's own; serve a certificate signed by that CA, or a \
             self-signed one made with basicConstraints CA:FALSE"
                .to_string()
        }
        other => other.to_string(),
    };
    format!(
        "TLS: the server's certificate is not accepted: {why}. For a private CA or a self-signed certificate, \
         give its PEM as extra_ca_pem (CONFAB_CA_FILE)"
    )
}

/// The TLS name of `host` (a DNS name or an IP address, `[…]` around IPv6 removed).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(h.to_string()).map_err(|_| Error::Tls(format!("TLS: {h:?} is not a valid server name")))
}
