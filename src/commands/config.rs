//! `ykprov config show`: the resolved connection settings and where each came from. Secrets (the
//! API token, the private key) are printed as `[redacted]`; only their source is shown.

use super::Outcome;
use crate::cli::{ConfigAction, ConfigArgs};
use crate::okta::config::{self, AuthMode, Settings, Sourced};

/// Runs `ykprov config …`.
pub fn run(args: &ConfigArgs) -> anyhow::Result<Outcome> {
    match &args.action {
        ConfigAction::Show(show) => {
            let env = |k: &str| std::env::var(k).ok();
            let settings = config::gather(&show.org.flags(), &env, &config::yaml_paths())?;
            print!("{}", text(&settings));
            // Report an incomplete setup the way a command would, after showing what was found.
            let conn = settings.connection()?;
            for w in crate::okta::connect::connection_warnings(
                &conn.org,
                &conn.org_source,
                &conn.credential_source,
            ) {
                eprintln!("warning: {w}");
            }
            Ok(Outcome::Clean)
        }
    }
}

fn line<T>(out: &mut String, name: &str, value: Option<&Sourced<T>>, show: impl Fn(&T) -> String) {
    let (v, s) = match value {
        Some(x) => (show(&x.value), x.source.as_str()),
        None => ("(not set)".to_string(), "-"),
    };
    out.push_str(&format!("{name:<20} {v:<44} from {s}\n"));
}

/// The settings as `name  value  from SOURCE` lines.
pub fn text(s: &Settings) -> String {
    let mut out = String::new();
    // User info in an org URL (refused later) may be a password: never echo it.
    line(&mut out, "orgUrl", s.org.as_ref(), |v| {
        crate::okta::config::network::without_credentials(v)
    });
    line(&mut out, "authorizationMode", Some(&s.mode), |m| m.to_string());
    let redacted = |_: &crate::secret::Secret<String>| "[redacted]".to_string();
    line(&mut out, "token", s.token.as_ref(), redacted);
    line(&mut out, "clientId", s.client_id.as_ref(), |v| v.clone());
    match &s.scopes {
        Some(_) => line(&mut out, "scopes", s.scopes.as_ref(), |v| v.join(" ")),
        None => out.push_str(&format!(
            "{:<20} {:<44} from -\n",
            "scopes", "(each command asks only for what it needs)"
        )),
    }
    line(
        &mut out,
        "privateKey",
        s.private_key.as_ref(),
        |k| match crate::okta::oauth::SigningKey::from_pem(k) {
            Ok(key) => format!("[redacted] ({} key)", key.alg_name()),
            Err(_) if s.mode.value == AuthMode::PrivateKey => "[redacted] (not a usable key)".into(),
            Err(_) => "[redacted]".into(),
        },
    );
    line(&mut out, "kid", s.kid.as_ref(), |v| v.clone());
    line(&mut out, "dpop", Some(&s.dpop), |v| v.to_string());
    proxy_line(&mut out, s);
    line(&mut out, "caFile", s.ca_file.as_ref(), |p| {
        p.display().to_string()
    });
    out
}

/// The proxy requests would go through: the SDKs' explicit one, else the environment's (loopback
/// orgs never use one). Credentials are never shown.
fn proxy_line(out: &mut String, s: &Settings) {
    use crate::okta::config::network::without_credentials;
    if let Some(p) = &s.proxy {
        let user = p
            .value
            .username
            .as_ref()
            .map_or(String::new(), |u| format!(" (user {u})"));
        line(out, "proxy", Some(p), |v| format!("{}{user}", v.url()));
        return;
    }
    let from_env = [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()).map(|u| (*v, u)));
    let (value, source) = match from_env {
        Some((var, url)) => (format!("{} (not for loopback)", without_credentials(&url)), var),
        None => ("(none)".to_string(), "-"),
    };
    out.push_str(&format!("{:<20} {value:<44} from {source}\n", "proxy"));
}
