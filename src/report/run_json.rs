//! The JSON shape of a report's [`Run`]: camelCase keys in today's order, with the journal
//! header's fields spread among the run's own. `#[serde(flatten)]` of the header cannot give
//! this (the journal spells its keys in snake_case, and `journal` and `ended` sit between header
//! fields), and the report format is locked by a snapshot test, so the shape is written out here,
//! once.

use super::{RateSeries, Run};
use crate::journal::{Counts, Header, RateWindow, SealedInput};
use crate::okta::models::okta_time;
use serde::{Deserialize, Serialize};

/// A [`Run`] as the report's JSON spells it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunJson {
    run_id: String,
    journal: String,
    tool_version: String,
    operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    okta_identity: Option<String>,
    org: String,
    input: String,
    input_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<SealedInput>,
    options: serde_json::Value,
    started: String,
    ended: Option<String>,
    resumed: bool,
    interrupted: Option<bool>,
    counts: Option<Counts>,
    pace_per_minute: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<RateWindow>,
    requests: RateSeries,
}

impl From<Run> for RunJson {
    fn from(run: Run) -> Self {
        let h = run.header;
        RunJson {
            started: okta_time::format(&h.started),
            run_id: h.run_id,
            journal: run.journal,
            tool_version: h.tool_version,
            operator: h.operator,
            okta_identity: h.okta_identity,
            org: h.org,
            input: h.input,
            input_sha256: h.input_sha256,
            sealed: h.sealed,
            options: h.options,
            ended: run.ended,
            resumed: h.resumed,
            interrupted: run.interrupted,
            counts: run.counts,
            pace_per_minute: run.pace_per_minute,
            window: run.window,
            requests: run.requests,
        }
    }
}

impl TryFrom<RunJson> for Run {
    type Error = String;

    fn try_from(j: RunJson) -> Result<Self, Self::Error> {
        let started = okta_time::parse(&j.started)
            .ok_or_else(|| format!("run {}: `started` is not a timestamp: {}", j.run_id, j.started))?;
        Ok(Run {
            header: Header {
                run_id: j.run_id,
                tool_version: j.tool_version,
                operator: j.operator,
                okta_identity: j.okta_identity,
                org: j.org,
                input: j.input,
                input_sha256: j.input_sha256,
                sealed: j.sealed,
                options: j.options,
                started,
                resumed: j.resumed,
            },
            journal: j.journal,
            ended: j.ended,
            interrupted: j.interrupted,
            counts: j.counts,
            pace_per_minute: j.pace_per_minute,
            window: j.window,
            requests: j.requests,
        })
    }
}
