//! Finding 8, TLS: an emulator behind TLS with a private CA (what a TLS-inspecting corporate
//! proxy looks like) works with `SSL_CERT_FILE` or `--ca-file`, and fails with a clear message
//! without. The CA and the server certificate are made by the system's openssl (skipped, saying
//! so, when it is missing; a failure under `CI=true`).

use crate::helpers::{spawn_emulator, TestDir};
use okta_emulator::{EmulatorConfig, Endpoint};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A private CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
fn private_ca(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    // Skips locally without openssl, fails under CI=true (nothing passes without running).
    crate::helpers::require_tool("openssl", "the TLS test")?;
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    let steps: [&[&str]; 5] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=ykprov test CA",
        ],
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key.pem",
        ],
        &[
            "req",
            "-new",
            "-key",
            "key.pem",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
        &["version"],
    ];
    for step in steps {
        assert!(run(step), "openssl {step:?} failed");
    }
    Some((dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem")))
}

/// A TLS front on 127.0.0.1:0 that forwards each connection to `backend`; its https URL.
async fn tls_front(cert: &Path, key: &Path, backend: std::net::SocketAddr) -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(conn).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_private_ca_works_with_ssl_cert_file_or_ca_file_and_fails_clearly_without() {
    let dir = TestDir::new();
    let Some((ca, cert, key)) = private_ca(dir.path()) else {
        return;
    };
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let backend: std::net::SocketAddr = emu
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let url = tls_front(&cert, &key, backend).await;
    let export = |extra: &[&str], ca_env: Option<&Path>| {
        let mut cmd = crate::helpers::private_binary();
        cmd.args(["export", "--org", &url])
            .args(extra)
            .env("OKTA_CLIENT_TOKEN", emu.token())
            .env("HOME", "/nonexistent")
            .env("YKPROV_STATE_DIR", crate::helpers::private_state())
            .env_remove("OKTA_CLIENT_ORGURL")
            .env_remove("SSL_CERT_FILE")
            .kill_on_drop(true);
        if let Some(ca) = ca_env {
            cmd.env("SSL_CERT_FILE", ca);
        }
        cmd.output()
    };
    let out = export(&[], None).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not trusted") && stderr.contains("--ca-file"),
        "{stderr}"
    );
    assert_eq!(emu.log().count(Endpoint::ListTokens), 0);

    let out = export(&[], Some(&ca)).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = export(&["--ca-file", ca.to_str().unwrap()], None).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(emu.log().count(Endpoint::ListTokens), 2);
}
