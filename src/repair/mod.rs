//! `ykprov repair`: a reconciliation turned into a plan, and the plan applied safely. [`prepare`]
//! reads the seed files, lists Okta's tokens, diffs them and [`plan()`]s at most one action per
//! serial (upload what is missing, upload again what has only history records, and with
//! `reissue_blocked` delete a BLOCKED token and upload its seed again); it sends no write.
//! [`apply()`] carries the plan out through upload's machinery: the pacer of the token path's one
//! bucket (shared with every list, lookup and upload), the adaptive concurrency limit, upload's
//! retry policy and worker, and the journal (an intent before each DELETE or POST, the outcome
//! after). Each action's target is checked again just before it is sent, and what earlier runs
//! left in doubt is settled from the fresh inventory, so running the same repair again resumes
//! it, and a finished repair sends nothing.
//!
//! What to print, whether to ask before applying, and the exit code belong to the command.

pub mod apply;
pub mod doubts;
pub mod output;
pub mod pinned;
pub mod plan;
pub mod seeds;
pub mod worker;

pub use crate::journal::repair::RepairAction;
pub use apply::{apply, RepairCounts, RepairSummary};
pub use plan::{plan, Action, Held, Hold, Plan, PlanOptions, SeedIndex};

use crate::journal::repair::{replay_repair, RepairReplay};
use crate::lifecycle::Facts;
use crate::okta::client::UserStatus;
use crate::okta::inventory::{self, Via};
use crate::okta::pacing::RateSetting;
use crate::okta::OktaClient;
use crate::reconcile::diff::{self, Category, DiffOptions, Scope};
use crate::reconcile::{ReconcileOptions, ReconcileResult};
use crate::seed::{SeedFormat, SeedSource, Serial, UnsealOptions};
use anyhow::Context;
use chrono::Utc;
use doubts::Doubts;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// The categories a repair leaves needing action: what it repairs, what it may not (blocked keys
/// without `reissue_blocked`), and rows to fix by hand.
pub const FAIL_ON: [Category; 6] = [
    Category::Missing,
    Category::Revoked,
    Category::Removed,
    Category::RetiredLive,
    Category::Blocked,
    Category::Invalid,
];

/// A repair's options (built from the CLI, or by the demo and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct RepairOptions {
    /// The seed files.
    pub files: Vec<PathBuf>,
    /// Their layout.
    pub format: SeedFormat,
    /// Delete BLOCKED tokens of deactivated users (read from Okta) and upload their seeds again.
    pub reissue_blocked: bool,
    /// `--restore`: removed keys a person asked to upload again.
    pub restore: BTreeSet<Serial>,
    /// `--serial`: only these serials; a BLOCKED one is reissued whatever its user's status.
    pub serials: BTreeSet<Serial>,
    /// `--exclude-serial`: never these serials.
    pub exclude: BTreeSet<Serial>,
    /// The journal; default beside the first seed file.
    pub journal: Option<PathBuf>,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Attempts per request (429s not counted).
    pub max_attempts: u32,
    /// The pace setting, for the journal header.
    pub rate: RateSetting,
    /// No progress bar.
    pub quiet: bool,
    /// How to open sealed seed files.
    pub unseal: UnsealOptions,
    /// What people decided about keys and what ykprov uploaded (from the ledger).
    pub facts: Facts,
    /// What the files must hold (`--expect-rows`, `--expect-sha256`); an empty file is refused.
    pub expect: crate::seed::Expect,
    /// `--plan`: the pinned plan's actions; only these run, each only if its target is unchanged.
    pub pinned: Option<Vec<crate::pinned::PinnedAction<RepairAction>>>,
    /// Who Okta takes the credential for, looked up once before the first write (the command
    /// layer does, with [`crate::okta::identity::recorded`]); written into the journal header.
    pub okta_identity: Option<String>,
}

impl RepairOptions {
    /// Requests in flight at most: repair writes through upload's machinery, so upload's default.
    pub const DEFAULT_CONCURRENCY: usize = crate::upload::UploadOptions::DEFAULT_CONCURRENCY;
    /// Attempts per write: upload's default.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = crate::upload::UploadOptions::DEFAULT_MAX_ATTEMPTS;

    /// The CLI's defaults for `files`: 4 in flight, 6 attempts, half of Okta's pace, blocked keys
    /// only reported.
    pub fn new(files: Vec<PathBuf>) -> Self {
        RepairOptions {
            files,
            format: SeedFormat::Auto,
            reissue_blocked: false,
            restore: BTreeSet::new(),
            serials: BTreeSet::new(),
            exclude: BTreeSet::new(),
            journal: None,
            concurrency: Self::DEFAULT_CONCURRENCY,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            rate: RateSetting::DEFAULT,
            quiet: false,
            unseal: UnsealOptions::default(),
            facts: Facts::default(),
            expect: crate::seed::Expect::default(),
            pinned: None,
            okta_identity: None,
        }
    }

    /// The journal's path: `--journal`, else `<first seed file>.ykprov-repair-journal.jsonl`.
    pub fn journal_path(&self) -> PathBuf {
        if let Some(p) = &self.journal {
            return p.clone();
        }
        let first = self.files.first().cloned().unwrap_or_else(|| "seeds".into());
        let name = first
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "seeds".into());
        first.with_file_name(format!("{name}.ykprov-repair-journal.jsonl"))
    }

    /// The options as the journal header records them.
    fn to_json(&self) -> serde_json::Value {
        let rate = match self.rate {
            RateSetting::Auto { share } => serde_json::json!({"mode": "auto", "share": share}),
            RateSetting::PerMinute(n) => serde_json::json!({"mode": "fixed", "per_minute": n}),
        };
        let mut options = serde_json::json!({
            "command": "repair", "reissue_blocked": self.reissue_blocked, "rate": rate,
            "concurrency": self.concurrency, "max_attempts": self.max_attempts, "format": self.format,
            "restore": self.restore, "serials": self.serials,
        });
        // Only when used, so the headers of ordinary runs stay as they were.
        if !self.exclude.is_empty() {
            options["exclude"] = serde_json::json!(self.exclude);
        }
        options
    }

    /// How the reconciliation before and after is made: the JSON list (the confirmed contract,
    /// as upload's preflight uses), file scope, [`FAIL_ON`].
    pub fn reconcile_options(&self) -> ReconcileOptions {
        ReconcileOptions {
            format: self.format,
            via: Via::Pages,
            scope: Scope::File,
            fail_on: FAIL_ON.to_vec(),
            unseal: self.unseal.clone(),
            facts: self.facts.clone(),
            ..ReconcileOptions::new(self.files.clone())
        }
    }
}

/// A plan and what it was made from.
#[derive(Debug)]
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// The seed files as read for the plan (a sealed one's decrypted bytes), which applying reads.
    pub sources: Vec<SeedSource>,
    /// The reconciliation it was made from.
    pub before: ReconcileResult,
    /// The journal's path.
    pub journal: PathBuf,
    /// What earlier runs left in doubt, settled.
    pub doubts: Doubts,
    /// Unreadable journal lines that are not a crash's torn line (a damaged journal).
    pub damaged_lines: Vec<u64>,
    /// The seed files' valid rows, as read for the plan: the reconciliation after the apply
    /// compares Okta with these, so a sealed file is decrypted once per repair.
    pub rows: Vec<diff::LocalRow>,
    /// The seed files' invalid rows, as read for the plan.
    pub invalid: Vec<diff::InvalidRow>,
}

/// Reads the files, lists Okta's tokens and plans. Sends no write, writes no file.
pub async fn prepare(o: &RepairOptions, client: &OktaClient) -> anyhow::Result<Prepared> {
    let (files, format, unseal, expect) = (o.files.clone(), o.format, o.unseal.clone(), o.expect.clone());
    let local = tokio::task::spawn_blocking(move || seeds::read(&files, format, &unseal, &expect)).await??;
    let remote = inventory::fetch(client, Via::Pages, None, false)
        .await
        .context("cannot list the tokens in Okta")?;
    let ropts = o.reconcile_options();
    let now = Utc::now();
    let dopts = DiffOptions {
        scope: ropts.scope,
        stale_after: ropts.stale_after,
        now,
    };
    let rec = diff::diff(&local.rows, &remote, local.invalid.clone(), &dopts, &o.facts);
    let journal = o.journal_path();
    let replay = if journal.exists() {
        replay_repair(&journal)?
    } else {
        RepairReplay::default()
    };
    let created = doubts::Created {
        at: remote
            .iter()
            .filter(|t| t.status.is_live())
            .map(|t| (t.serial.clone(), t.created))
            .collect(),
        offset: client.server_clock_offset(),
    };
    let doubts = doubts::settle(&replay, &rec, &created);
    let opts = PlanOptions {
        reissue_blocked: o.reissue_blocked,
        // A reissue this tool began (its token deleted, per the journal) is finished, not held as
        // removed: the deletion was ours, not an admin's.
        restore: o
            .restore
            .iter()
            .chain(doubts.unfinished.keys())
            .cloned()
            .collect(),
        serials: o.serials.clone(),
        exclude: o.exclude.clone(),
        users: if o.reissue_blocked {
            users_of_blocked(client, &rec).await?
        } else {
            HashMap::new()
        },
    };
    let mut plan = plan(&rec, &local.index, &opts);
    plan.mark_unfinished_reissues(&doubts.unfinished);
    if let Some(p) = &o.pinned {
        pinned::narrow(&mut plan, &rec, p);
    }
    let before = ReconcileResult {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: crate::okta::models::okta_time::format(&now),
        org: client.org().to_string(),
        files: o.files.iter().map(|p| p.display().to_string()).collect(),
        file_info: local.files,
        via: ropts.via,
        scope: ropts.scope,
        stale_after_days: ropts.stale_after.num_days(),
        fail_on: ropts.fail_on,
        okta_tokens: remote.len() as u64,
        reconciliation: rec,
    };
    let damaged_lines = if replay.only_torn_by_crashes {
        Vec::new()
    } else {
        replay.unreadable_lines
    };
    Ok(Prepared {
        plan,
        sources: local.sources,
        before,
        journal,
        doubts,
        damaged_lines,
        rows: local.rows,
        invalid: local.invalid,
    })
}

/// The status of every BLOCKED key's user, read from Okta (`GET /api/v1/users/{id}`, on the
/// users bucket): a BLOCKED key is reissued only when its user was deactivated, never assumed.
/// A user Okta does not have is left out (the plan holds the key).
async fn users_of_blocked(
    client: &OktaClient,
    rec: &diff::Reconciliation,
) -> anyhow::Result<HashMap<String, UserStatus>> {
    let ids: BTreeSet<&str> = rec
        .of(&Category::Blocked)
        .filter_map(|i| i.user_id.as_deref())
        .collect();
    let mut users = HashMap::new();
    for id in ids {
        let user = client
            .read_with_retries(|| client.get_user(id))
            .await
            .with_context(|| format!("cannot read user {id} of a BLOCKED key"))?;
        if let Some(u) = user {
            users.insert(id.to_string(), u.status);
        }
    }
    Ok(users)
}

/// The reconciliation after applying: what Okta holds now, against the seed rows the plan was
/// made from (read, and for a sealed file decrypted, once; `apply` has checked the files did not
/// change meanwhile).
pub async fn reconcile_after(
    o: &RepairOptions,
    p: &Prepared,
    client: &OktaClient,
) -> anyhow::Result<ReconcileResult> {
    let remote = inventory::fetch(client, Via::Pages, None, false)
        .await
        .context("the repair finished, but the reconciliation after it failed")?;
    let ropts = o.reconcile_options();
    let now = Utc::now();
    let dopts = DiffOptions {
        scope: ropts.scope,
        stale_after: ropts.stale_after,
        now,
    };
    let rec = diff::diff(&p.rows, &remote, p.invalid.clone(), &dopts, &o.facts);
    Ok(ReconcileResult {
        generated_at: crate::okta::models::okta_time::format(&now),
        okta_tokens: remote.len() as u64,
        reconciliation: rec,
        ..p.before.clone()
    })
}
