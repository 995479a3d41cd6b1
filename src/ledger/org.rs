//! The org a ledger row belongs to, in one spelling: `scheme://host[:port]`, lowercase, no path,
//! no trailing slash, so `https://ACME.okta.com/` and `https://acme.okta.com` are one org.

use anyhow::Context;
use url::Url;

/// Normalises an org URL as every ledger row names it.
pub fn normalise_org(raw: &str) -> anyhow::Result<String> {
    let url = Url::parse(raw.trim()).with_context(|| format!("the org URL `{}` is not a URL", raw.trim()))?;
    let host = url
        .host_str()
        .with_context(|| format!("the org URL `{}` has no host", raw.trim()))?
        .to_ascii_lowercase();
    let scheme = url.scheme().to_ascii_lowercase();
    Ok(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_paths_slashes_and_default_ports_do_not_make_another_org() {
        for raw in [
            "https://ACME.okta.com",
            "https://acme.okta.com/",
            "https://acme.okta.com:443/api/v1",
            " HTTPS://acme.OKTA.com ",
        ] {
            assert_eq!(normalise_org(raw).unwrap(), "https://acme.okta.com", "{raw}");
        }
        assert_eq!(
            normalise_org("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalise_org("acme.okta.com").is_err());
    }
}
