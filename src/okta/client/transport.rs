//! The `reqwest::Client` under [`OktaClient`](super::OktaClient): no redirects, the timeouts, the
//! proxy decision and the trusted roots.
//!
//! Proxy: never for a loopback org (the emulator: a proxy would see its token); the SDKs'
//! explicit proxy when configured; else `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` as reqwest reads
//! them, said in the log rather than silently. Trust: the bundled web roots, the operating
//! system's CA bundle (where a company installs its TLS-inspecting proxy's CA), and `--ca-file` or
//! `SSL_CERT_FILE`. Nothing here can turn certificate checks off.

use super::{is_loopback, ClientConfig};
use crate::okta::config::network::{without_credentials, ProxySetting};
use anyhow::Context;
use reqwest::{Certificate, ClientBuilder};
use std::io::Read;
use std::path::Path;

/// Where distributions keep the system's CA bundle (as `openssl-probe` looks for it).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The largest CA bundle read (the system's is about 200 KiB).
const MAX_BUNDLE_BYTES: u64 = 16 << 20;

/// Proxy variables reqwest honours, in the order it prefers them for https.
const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// Builds the HTTP client for `config`.
pub(super) fn http_client(config: &ClientConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("ykprov/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout);
    builder = with_proxy(builder, config)?;
    for cert in system_roots() {
        builder = builder.add_root_certificate(cert);
    }
    for file in &config.network.ca_files {
        for cert in read_bundle(file).with_context(|| format!("cannot use the CA file {}", file.display()))? {
            builder = builder.add_root_certificate(cert);
        }
        tracing::debug!(ca_file = %file.display(), "trusting the CA certificates in it too");
    }
    builder.build().context("cannot set up the HTTP client")
}

fn with_proxy(builder: ClientBuilder, config: &ClientConfig) -> anyhow::Result<ClientBuilder> {
    if is_loopback(&config.org) {
        tracing::debug!("loopback org: no proxy");
        return Ok(builder.no_proxy());
    }
    if let Some(p) = &config.network.proxy {
        tracing::info!(proxy = %p.url(), "sending through the configured proxy");
        return Ok(builder.proxy(explicit(p)?));
    }
    if let Some((var, url)) = PROXY_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()).map(|u| (v, u)))
    {
        tracing::info!(proxy = %without_credentials(&url), from = var, "sending through the environment's proxy (NO_PROXY applies)");
    }
    Ok(builder)
}

fn explicit(p: &ProxySetting) -> anyhow::Result<reqwest::Proxy> {
    let mut proxy = reqwest::Proxy::all(p.url()).context("the configured proxy is not a usable address")?;
    if let Some(user) = &p.username {
        let password = p.password.as_ref().map_or("", |s| s.expose().as_str());
        proxy = proxy.basic_auth(user, password);
    }
    Ok(proxy)
}

/// The operating system's CA bundle, if one is found and readable; nothing otherwise (the
/// bundled roots still apply).
fn system_roots() -> Vec<Certificate> {
    let Some(path) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) else {
        return Vec::new();
    };
    match read_bundle(path) {
        Ok(certs) => certs,
        Err(e) => {
            tracing::debug!(bundle = %path.display(), error = %format!("{e:#}"), "system CA bundle not used");
            Vec::new()
        }
    }
}

/// Every certificate of a PEM bundle, read once and capped.
fn read_bundle(path: &Path) -> anyhow::Result<Vec<Certificate>> {
    let file = std::fs::File::open(path).context("cannot open it")?;
    let mut bytes = Vec::new();
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read it")?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        anyhow::bail!("it is larger than {} MiB", MAX_BUNDLE_BYTES >> 20);
    }
    let certs = Certificate::from_pem_bundle(&bytes).context("it is not a PEM bundle of certificates")?;
    if certs.is_empty() {
        anyhow::bail!("it holds no PEM certificate");
    }
    Ok(certs)
}
