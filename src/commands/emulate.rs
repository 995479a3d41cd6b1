//! `ykprov emulate`: flags to [`EmulatorConfig`], then serve until Ctrl-C and save the state.

use super::Outcome;
use crate::cli::EmulateArgs;
use anyhow::Context;
use okta_emulator::config::EmulatorConfig;
use okta_emulator::quirks::Quirks;
use okta_emulator::rate_limit::RateLimit;

/// Environment variable that may hold the token (never a flag: secrets stay out of `ps`).
pub const TOKEN_ENV: &str = "YKPROV_EMULATOR_TOKEN";

/// The emulator's fixed window for a rate read by ykprov's one rate parser.
fn window(rate: crate::cli::Rate) -> RateLimit {
    RateLimit::new(rate.count, rate.per)
}

/// Builds the config; `env_token` is the value of [`TOKEN_ENV`], if set.
fn config_from_args(args: &EmulateArgs, env_token: Option<String>) -> anyhow::Result<EmulatorConfig> {
    let mut problems = Vec::new();
    if !args.bind.ip().is_loopback() && !args.allow_remote {
        problems.push(format!(
            "--bind {} is not a loopback address; add --allow-remote to expose the emulator",
            args.bind
        ));
    }
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read --token-file {}", path.display()))?;
            Some(text.trim().to_string())
        }
        None => env_token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
    };
    let base = if args.no_rate_limit {
        None
    } else {
        Some(window(args.rate_limit))
    };
    let mut oauth_clients = Vec::new();
    for spec in &args.oauth_client {
        let Some((id, path)) = spec
            .split_once('=')
            .filter(|(id, p)| !id.is_empty() && !p.is_empty())
        else {
            problems.push(format!("--oauth-client expects CLIENT_ID=KEY.pem, got `{spec}`"));
            continue;
        };
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the public key of --oauth-client {id}: {path}"))?;
        oauth_clients.push(okta_emulator::oauth::OAuthClient {
            client_id: id.to_string(),
            public_key_pem: pem,
            scopes: crate::okta::config::split_scopes(&args.oauth_scopes),
        });
    }
    let quirks = Quirks::parse_all(args.quirk.iter().map(String::as_str)).unwrap_or_else(|errors| {
        problems.extend(errors.iter().map(|e| format!("--quirk: {e}")));
        Quirks::default()
    });
    let config = EmulatorConfig {
        bind: args.bind,
        quirks,
        oauth_clients,
        access_token_lifetime: args.access_token_lifetime,
        require_dpop: args.require_dpop,
        token,
        api_limit: base,
        users_limit: base,
        oauth_limit: base,
        get_limit: args.get_rate_limit.map(window),
        post_limit: args.post_rate_limit.map(window),
        window_phase: args.window_phase.map(std::time::Duration::from_millis),
        concurrency_limit: Some(args.concurrency_limit).filter(|&n| n > 0),
        latency: args.latency,
        latency_jitter: args.latency_jitter,
        fail_rate: args.fail_rate,
        drop_after_commit_rate: args.drop_after_commit_rate,
        fault_seed: args.fault_seed,
        users: args.users,
        users_file: args.users_file.clone(),
        state_file: args.state.clone(),
        ..EmulatorConfig::default()
    };
    if let Err(e) = config.validate() {
        problems.push(format!("{e:#}"));
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("; "));
    }
    Ok(config)
}

/// Where the token the emulator accepts came from: only one it generated may be printed.
enum TokenOrigin<'a> {
    /// Made up at start: a throwaway, printed so clients can use it.
    Generated(&'a str),
    /// `--token-file`: perhaps a real token reused, so only the file is named.
    File(&'a std::path::Path),
    /// [`TOKEN_ENV`]: likewise, only the variable is named.
    Environment,
}

/// The `export` lines to paste into a shell so ykprov (or an Okta SDK) talks to the emulator.
/// A token the user chose is referred to (its file or variable), never written out.
fn paste_lines(url: &str, origin: &TokenOrigin<'_>) -> String {
    use crate::markup::shell_word;
    use crate::okta::config::{ENV_MODE, ENV_ORG, ENV_TOKEN};
    let token = match origin {
        TokenOrigin::Generated(token) => shell_word(token),
        TokenOrigin::File(path) => format!("\"$(head -n 1 {})\"", shell_word(&path.to_string_lossy())),
        TokenOrigin::Environment => format!("\"${TOKEN_ENV}\""),
    };
    format!(
        "To point ykprov (or an Okta SDK) at it, paste:\n  export {ENV_ORG}={}\n  export {ENV_MODE}=SSWS\n  export {ENV_TOKEN}={token}\n",
        shell_word(url)
    )
}

/// Runs `ykprov emulate` until Ctrl-C.
pub async fn run(args: &EmulateArgs) -> anyhow::Result<Outcome> {
    let config = config_from_args(args, std::env::var(TOKEN_ENV).ok())?;
    let config_quirks = config.quirks.clone();
    // A token the user chose (file or environment) may be a real one reused: never echo it.
    let chosen_token = config.token.is_some();
    let config_clients: Vec<String> = config.oauth_clients.iter().map(|c| c.client_id.clone()).collect();
    let handle = okta_emulator::spawn(config).await?;
    // The emulator's own generated test token is the one secret it may print: clients need it.
    println!("Okta emulator listening on {}", handle.url());
    if config_quirks != Quirks::default() {
        println!("quirks: {config_quirks}");
    }
    let generated = (!chosen_token).then(|| handle.token());
    match &generated {
        Some(token) => println!("API token: {token}"),
        None => println!("API token: the one you gave (not shown)"),
    }
    for c in &config_clients {
        println!(
            "OAuth client: {c} (token endpoint {}/oauth2/v1/token)",
            handle.url()
        );
    }
    let origin = match (&generated, &args.token_file) {
        (Some(token), _) => TokenOrigin::Generated(token),
        (None, Some(path)) => TokenOrigin::File(path),
        (None, None) => TokenOrigin::Environment,
    };
    print!("{}", paste_lines(&handle.url(), &origin));
    let users = handle.users();
    // Ids are needed to enroll keys in a rehearsal; list a few so nobody has to look them up.
    for u in users.iter().take(10) {
        println!("user: {} {} {}", u.id, u.login, u.status.as_str());
    }
    println!(
        "{} users; stop with Ctrl-C{}",
        users.len(),
        args.state
            .as_ref()
            .map(|p| format!(" (state saved to {})", p.display()))
            .unwrap_or_default()
    );
    tokio::signal::ctrl_c()
        .await
        .context("failed to listen for Ctrl-C")?;
    eprintln!("stopping the emulator");
    handle.shutdown().await?;
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(extra: &[&str]) -> EmulateArgs {
        let mut argv = vec!["ykprov", "emulate"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Emulate(a) => a,
            _ => panic!("not emulate"),
        }
    }

    #[test]
    fn non_loopback_bind_needs_allow_remote() {
        let err = config_from_args(&args(&["--bind", "0.0.0.0:8080"]), None).unwrap_err();
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        assert!(config_from_args(&args(&["--bind", "0.0.0.0:8080", "--allow-remote"]), None).is_ok());
    }

    #[test]
    fn token_comes_from_file_then_environment_then_generation() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "00fromfile\n").unwrap();
        let a = args(&["--token-file", file.to_str().unwrap()]);
        assert_eq!(
            config_from_args(&a, Some("00env".into()))
                .unwrap()
                .token
                .as_deref(),
            Some("00fromfile")
        );
        assert_eq!(
            config_from_args(&args(&[]), Some("00env".into()))
                .unwrap()
                .token
                .as_deref(),
            Some("00env")
        );
        assert_eq!(config_from_args(&args(&[]), None).unwrap().token, None);
    }

    #[test]
    fn oauth_clients_are_read_from_id_equals_pem() {
        let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test-ec.pub.pem");
        let spec = format!("0oatest={key}");
        let c = config_from_args(
            &args(&[
                "--oauth-client",
                &spec,
                "--oauth-scopes",
                "okta.users.read",
                "--require-dpop",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(c.oauth_clients.len(), 1);
        assert_eq!(c.oauth_clients[0].client_id, "0oatest");
        assert_eq!(c.oauth_clients[0].scopes, ["okta.users.read"]);
        assert!(c.require_dpop);
        assert!(config_from_args(&args(&["--oauth-client", "nokey"]), None).is_err());
    }

    #[test]
    fn rate_limit_applies_to_each_bucket_with_overrides() {
        let c = config_from_args(
            &args(&["--rate-limit", "10/1s", "--post-rate-limit", "5/1s"]),
            None,
        )
        .unwrap();
        // GETs stay in the token path's one bucket; uploads are split off with their own limit.
        assert_eq!(c.api_limit.map(|l| l.limit), Some(10));
        assert_eq!(c.get_limit, None);
        assert_eq!(c.post_limit.map(|l| l.limit), Some(5));
        assert_eq!(c.users_limit.map(|l| l.limit), Some(10));
        assert_eq!(c.oauth_limit.map(|l| l.limit), Some(10));
        assert_eq!(c.window_phase, None);
        let c = config_from_args(&args(&["--no-rate-limit", "--concurrency-limit", "0"]), None).unwrap();
        assert!(c.api_limit.is_none() && c.post_limit.is_none() && c.concurrency_limit.is_none());
        assert!(config_from_args(&args(&["--fail-rate", "1.5"]), None).is_err());
        let c = config_from_args(&args(&["--window-phase", "333"]), None).unwrap();
        assert_eq!(c.window_phase, Some(std::time::Duration::from_millis(333)));
    }

    #[test]
    fn the_lines_to_paste_carry_only_a_generated_token() {
        let url = "http://127.0.0.1:41234";
        let text = paste_lines(url, &TokenOrigin::Generated("00abcDEF123"));
        assert_eq!(
            text,
            "To point ykprov (or an Okta SDK) at it, paste:\n  export OKTA_CLIENT_ORGURL=http://127.0.0.1:41234\n  export OKTA_CLIENT_AUTHORIZATIONMODE=SSWS\n  export OKTA_CLIENT_TOKEN=00abcDEF123\n"
        );
        let file = std::path::Path::new("/run/my token");
        let text = paste_lines(url, &TokenOrigin::File(file));
        assert!(
            text.contains("export OKTA_CLIENT_TOKEN=\"$(head -n 1 '/run/my token')\"\n"),
            "{text}"
        );
        let text = paste_lines(url, &TokenOrigin::Environment);
        assert!(
            text.contains("export OKTA_CLIENT_TOKEN=\"$YKPROV_EMULATOR_TOKEN\"\n"),
            "{text}"
        );
    }

    #[test]
    fn quirks_are_switched_on_by_name_and_unknown_ones_refused() {
        let c = config_from_args(&args(&["--quirk", "soft-delete"]), None).unwrap();
        assert!(c.quirks.soft_delete);
        let err = config_from_args(&args(&["--quirk", "soft-delete", "--quirk", "nope"]), None).unwrap_err();
        assert!(err.to_string().contains("--quirk: unknown quirk `nope`"), "{err}");
    }
}
