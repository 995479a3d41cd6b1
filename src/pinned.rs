//! Pinned plans: the document `--dry-run --plan-out` writes and `--plan` reads back, so the plan
//! an approver reviewed is the plan that runs. It holds the org, the time of the listing the plan
//! was made from, each action with the token id and status it acts on, and a SHA-256 over the
//! canonical serialisation of everything else (serde's field order, no maps, no whitespace), so
//! an edit is found. It is generic over the command's action type (repair's and revoke's).
//!
//! It does not read Okta or decide anything: the command plans again from a fresh listing and
//! [`check`] says, per fresh action, whether the plan covers it unchanged.

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// A plan file is untrusted input: larger than this is refused before it is parsed.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// One pinned action: what the plan does to a serial and the state of the target it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PinnedAction<A> {
    /// 12-digit serial.
    pub serial: String,
    /// What to do.
    pub action: A,
    /// The token it acts on, when Okta has one.
    pub token_id: Option<String>,
    /// Okta's status of that token when the plan was made (`None`: no record).
    pub status: Option<String>,
}

/// What the hash covers: everything in the document but the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanBody<A> {
    /// The command that made it (`repair`, `revoke`): a repair plan is never applied by revoke.
    pub command: String,
    /// The org the listing came from.
    pub org: String,
    /// When the listing was made (Okta's time format).
    pub listed_at: String,
    /// The actions, by serial.
    pub actions: Vec<PinnedAction<A>>,
}

/// The document on disk: the body's fields, then the hash (no `flatten`, which would not
/// refuse unknown fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanDocument<A> {
    /// See [`PlanBody::command`].
    pub command: String,
    /// See [`PlanBody::org`].
    pub org: String,
    /// See [`PlanBody::listed_at`].
    pub listed_at: String,
    /// See [`PlanBody::actions`].
    pub actions: Vec<PinnedAction<A>>,
    /// Lowercase hex SHA-256 of the body's canonical JSON.
    pub sha256: String,
}

impl<A> PlanDocument<A> {
    /// The hashed part, and the hash.
    fn split(self) -> (PlanBody<A>, String) {
        let body = PlanBody {
            command: self.command,
            org: self.org,
            listed_at: self.listed_at,
            actions: self.actions,
        };
        (body, self.sha256)
    }
}

/// The hex SHA-256 of a body's canonical JSON.
pub fn digest<A: Serialize>(body: &PlanBody<A>) -> anyhow::Result<String> {
    let bytes = serde_json::to_vec(body).context("cannot serialise the plan")?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// The document for a body, its hash computed.
pub fn build<A: Serialize>(body: PlanBody<A>) -> anyhow::Result<PlanDocument<A>> {
    let sha256 = digest(&body)?;
    Ok(PlanDocument {
        command: body.command,
        org: body.org,
        listed_at: body.listed_at,
        actions: body.actions,
        sha256,
    })
}

/// Parses a document and checks it: valid JSON of the right shape, made by `command`, for `org`,
/// and its hash matches (not edited). Every refusal says why.
pub fn verify<A>(bytes: &[u8], command: &str, org: &str) -> anyhow::Result<PlanBody<A>>
where
    A: Serialize + DeserializeOwned,
{
    /// The command alone, read first: another command's actions would not parse as ours.
    #[derive(Deserialize)]
    struct Head {
        command: String,
    }
    let head: Head = serde_json::from_slice(bytes).context("not a ykprov plan (unreadable JSON)")?;
    if head.command != command {
        anyhow::bail!("a plan of `{}`, not of `{command}`", head.command);
    }
    let doc: PlanDocument<A> =
        serde_json::from_slice(bytes).context("not a ykprov plan (unreadable JSON)")?;
    let (body, sha256) = doc.split();
    if digest(&body)? != sha256 {
        anyhow::bail!("the plan was edited since it was written (its sha256 does not match); make a new one with --dry-run --plan-out");
    }
    if body.command != command {
        anyhow::bail!("a plan of `{}`, not of `{command}`", body.command);
    }
    if body.org != org {
        anyhow::bail!("a plan for {}, not for {org}", body.org);
    }
    Ok(body)
}

/// Reads a plan file, at most [`MAX_BYTES`].
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read plan {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read plan {}", path.display()))?;
    if bytes.len() as u64 > MAX_BYTES {
        anyhow::bail!("plan {} is larger than {} MiB", path.display(), MAX_BYTES >> 20);
    }
    Ok(bytes)
}

/// Writes a document atomically (mode 0600), pretty-printed for the change record.
pub fn write<A: Serialize>(path: &Path, doc: &PlanDocument<A>) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(doc).context("cannot serialise the plan")?;
    bytes.push(b'\n');
    crate::atomic::write(path, |w| Ok(w.write_all(&bytes)?))
        .with_context(|| format!("cannot write plan {}", path.display()))
}

/// Whether a freshly planned action may run under the pinned plan: `Ok` when the plan has the
/// serial with the same action, token id and status; else the reason it is skipped. `None`
/// when the plan does not name the serial at all (never acted on, not even reported).
pub fn check<A: PartialEq + std::fmt::Debug>(
    pinned: &[PinnedAction<A>],
    fresh: &PinnedAction<A>,
) -> Option<Result<(), String>> {
    let p = pinned.iter().find(|p| p.serial == fresh.serial)?;
    let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "no record".into());
    Some(if p.action != fresh.action {
        Err(format!(
            "changed since the plan: it planned {:?}, a fresh listing calls for {:?}; skipped",
            p.action, fresh.action
        ))
    } else if p.token_id != fresh.token_id {
        Err(format!(
            "changed since the plan: token {} then, {} now; skipped",
            show(&p.token_id),
            show(&fresh.token_id)
        ))
    } else if p.status != fresh.status {
        Err(format!(
            "changed since the plan: status {} then, {} now; skipped",
            show(&p.status),
            show(&fresh.status)
        ))
    } else {
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> PlanBody<String> {
        PlanBody {
            command: "repair".into(),
            org: "https://a.okta.com".into(),
            listed_at: "2026-01-01T00:00:00.000Z".into(),
            actions: vec![PinnedAction {
                serial: "000031000001".into(),
                action: "upload".into(),
                token_id: None,
                status: None,
            }],
        }
    }

    fn bytes() -> Vec<u8> {
        serde_json::to_vec_pretty(&build(body()).unwrap()).unwrap()
    }

    #[test]
    fn a_written_plan_verifies_and_round_trips() {
        let got: PlanBody<String> = verify(&bytes(), "repair", "https://a.okta.com").unwrap();
        assert_eq!(got, body());
        let text = String::from_utf8(bytes()).unwrap();
        assert!(
            text.contains("\"listedAt\"") && text.contains("\"tokenId\""),
            "{text}"
        );
    }

    #[test]
    fn an_edited_plan_another_org_or_command_is_refused() {
        let edited = String::from_utf8(bytes())
            .unwrap()
            .replace("000031000001", "000031000002");
        let err = verify::<String>(edited.as_bytes(), "repair", "https://a.okta.com").unwrap_err();
        assert!(err.to_string().contains("edited"), "{err}");
        let err = verify::<String>(&bytes(), "repair", "https://b.okta.com").unwrap_err();
        assert!(err.to_string().contains("a plan for https://a.okta.com"), "{err}");
        let err = verify::<String>(&bytes(), "revoke", "https://a.okta.com").unwrap_err();
        assert!(err.to_string().contains("not of `revoke`"), "{err}");
        assert!(verify::<String>(b"[1,", "repair", "x").is_err());
        assert!(verify::<String>(b"{\"sha256\":\"00\"}", "repair", "x").is_err());
    }

    #[test]
    fn check_passes_only_the_unchanged_action() {
        let pinned = body().actions;
        let same = pinned[0].clone();
        assert_eq!(check(&pinned, &same), Some(Ok(())));
        let other = PinnedAction {
            serial: "000031000009".into(),
            ..same.clone()
        };
        assert_eq!(check(&pinned, &other), None);
        let enrolled = PinnedAction {
            token_id: Some("t1".into()),
            status: Some("ACTIVE".into()),
            ..same.clone()
        };
        assert!(check(&pinned, &enrolled)
            .unwrap()
            .unwrap_err()
            .contains("token no record then, t1 now"));
        let status = PinnedAction {
            status: Some("REVOKED".into()),
            ..same.clone()
        };
        assert!(check(&pinned, &status).unwrap().unwrap_err().contains("status"));
        let action = PinnedAction {
            action: "reissue".into(),
            ..same
        };
        assert!(check(&pinned, &action).unwrap().unwrap_err().contains("planned"));
    }
}
