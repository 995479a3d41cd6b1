//! Finding 1: an `okta.yaml` planted in the working directory that sets only `orgUrl` must not
//! send the token and the seeds to the planted host.

use crate::helpers::{assert_exit, spawn_emulator, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// The real binary run in `dir` with the real org's token in the environment but no org: only the
/// planted file names one.
fn upload_in(dir: &std::path::Path, token: &str) -> tokio::process::Command {
    let mut cmd = crate::helpers::private_binary();
    cmd.args(["upload", "seeds.csv"])
        .current_dir(dir)
        .env("OKTA_CLIENT_TOKEN", token)
        .env_remove("OKTA_CLIENT_ORGURL")
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn a_planted_okta_yaml_in_a_shared_folder_is_refused_and_nothing_reaches_its_host() {
    let planted = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    dir.write("seeds.csv", seeds::csv(&seeds::rows(7_000_000, 3)));
    dir.write(
        "okta.yaml",
        format!("okta:\n  client:\n    orgUrl: {}\n", planted.url()),
    );
    // A shared drop folder, as /tmp is: anyone may create files in it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = upload_in(dir.path(), "00real-org-token").output().await.unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing ./okta.yaml"), "{stderr}");
    assert!(
        planted.log().entries.is_empty(),
        "a request reached the planted host"
    );
}

#[tokio::test]
async fn an_okta_yaml_owned_by_another_user_is_refused_even_for_root() {
    let dir = TestDir::new();
    let me = std::fs::metadata(dir.path()).unwrap().uid();
    if me != 0 {
        // Only root can give a file away; as another user the folder check covers the attack.
        return;
    }
    let planted = spawn_emulator(EmulatorConfig::default()).await;
    dir.write("seeds.csv", seeds::csv(&seeds::rows(7_000_100, 2)));
    let yaml = dir.write(
        "okta.yaml",
        format!("okta:\n  client:\n    orgUrl: {}\n", planted.url()),
    );
    std::fs::set_permissions(&yaml, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&yaml, Some(65534), Some(65534)).unwrap();
    let out = upload_in(dir.path(), "00real-org-token").output().await.unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("owned by uid 65534"), "{stderr}");
    assert!(
        planted.log().entries.is_empty(),
        "a request reached the planted host"
    );
}

#[tokio::test]
async fn an_org_and_a_token_from_different_places_are_named_before_anything_is_sent() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    dir.write("seeds.csv", seeds::csv(&seeds::rows(7_000_200, 2)));
    let yaml = dir.write(
        "okta.yaml",
        format!("okta:\n  client:\n    orgUrl: {}\n", emu.url()),
    );
    std::fs::set_permissions(&yaml, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = upload_in(dir.path(), &emu.token()).output().await.unwrap();
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mixed = stderr
        .find("org from ./okta.yaml, credential from OKTA_CLIENT_TOKEN")
        .unwrap_or_else(|| panic!("no mixed-source line in {stderr}"));
    let org_line = stderr
        .find(&format!("to {}", emu.url().trim_end_matches('/')))
        .unwrap_or_else(|| panic!("the org is not named in {stderr}"));
    assert!(
        mixed < org_line,
        "the warning comes before the upload starts: {stderr}"
    );
    assert_eq!(emu.log().stored_per_serial.len(), 2);
}
