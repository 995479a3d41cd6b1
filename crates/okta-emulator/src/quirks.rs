//! Readings of Okta's contract that no public source settles (see docs/emulator.md). The
//! emulator serves one reading per point by default; `--quirk NAME[=VALUE]` switches a point to
//! another plausible reading, so the client can be tested against each:
//!
//! - `soft-delete`: a deleted token stays listed as REVOKED and its serial may be uploaded again.
//! - `limit-max-200`: a list or export asking for more than 200 is refused (400 `E0000001`).
//! - `csv-columns=okta-report|bom|unpadded` (repeatable, or comma-separated): the export's header
//!   uses other names in another order, starts with a UTF-8 BOM, or carries unpadded serials.
//! - `dpop-error=400|403`: a bad or stale DPoP proof on an API call is 400 with a `DPoP`
//!   challenge, or 403 `E0000005`, instead of 401.
//! - `dpop-api-nonce`: API calls with a DPoP token must carry the server's nonce too (refused with
//!   `use_dpop_nonce` and a `DPoP-Nonce` header otherwise).
//! - `dpop-stale-after=N`: after N DPoP-bound API calls every proof is refused as stale (what a
//!   clock that drifts mid-run looks like); tests can also do this mid-run through the handle.
//! - `next-drops-params`: the token list's `next` links carry `after` (and any sort) but not
//!   `expand`, `filter`, `forDownload` or `limit` (okta/okta-sdk-nodejs#439).
//! - `unenroll-revokes`: unenrolling a user's YubiKey factor leaves the token REVOKED (history),
//!   as Okta's help says, instead of UNASSIGNED (enrollable again), as Okta's KB says.
//! - `delete-assigned-refused`: a DELETE of a token that was ever enrolled (BLOCKED, or UNASSIGNED
//!   after an unenroll) is refused with 403 `E0000102`, as the Classic help says ("you can't
//!   delete a YubiKey once assigned to a user"), instead of allowed, as the KB's recipe does.
//! - `echo-errors`: every upload is refused (400 `E0000001`) with causes that echo the request's
//!   `aesKey` and `privateId`, wrapped in terminal escapes and a bidi override: a hostile or
//!   careless server, to prove that nothing it says puts a seed in a journal, log or report.

use std::fmt;

/// The readings in force. `Default` is the emulator's main reading of every point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// `soft-delete`: a deleted token stays listed as REVOKED (as Okta's KB suggests), and its
    /// serial and public id may be uploaded again. Default: a delete removes the record.
    pub soft_delete: bool,
    /// `limit-max-200`: `limit` above 200 is 400 `E0000001` "Api validation failed: limit", for
    /// the JSON list and the export alike (the spec's `maximum: 200`). Default: JSON pages are
    /// clamped to 200 and the export allows up to 1000.
    pub limit_max_200: bool,
    /// `csv-columns=…`: how the export's CSV departs from the emulator's own columns.
    pub csv: CsvQuirks,
    /// `dpop-error=…`: how a bad or stale DPoP proof on an API call is answered.
    pub dpop_error: DpopError,
    /// `dpop-api-nonce`: API calls need the server's DPoP nonce in their proofs.
    pub dpop_api_nonce: bool,
    /// `dpop-stale-after=N`: every DPoP proof after the first N API calls is refused as stale.
    pub dpop_stale_after: Option<u64>,
    /// `next-drops-params`: `next` links leave out the request-shaping parameters
    /// ([`crate::pagination::SHAPING_PARAMS`]), as Okta's do (okta-sdk-nodejs#439,
    /// fixed in the SDK by df2f337). Default: `next` repeats every parameter but `after`.
    pub next_drops_params: bool,
    /// `unenroll-revokes`: an unenrolled token becomes REVOKED. Default: UNASSIGNED again.
    pub unenroll_revokes: bool,
    /// `delete-assigned-refused`: DELETE of a once-enrolled token is 403 `E0000102`. Default:
    /// allowed for any token not ACTIVE.
    pub delete_assigned_refused: bool,
    /// `echo-errors`: uploads are refused with the request's secrets echoed in the causes.
    pub echo_errors: bool,
}

/// The export's departures from the emulator's own CSV (`csv-columns=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvQuirks {
    /// `okta-report`: Admin-Console-style names (`Serial Number`, `Token ID`, …) in another order.
    pub okta_report: bool,
    /// `bom`: a UTF-8 byte-order mark before the header.
    pub bom: bool,
    /// `unpadded`: serials as numbers (`7886622`), not Okta's 12 digits.
    pub unpadded: bool,
}

/// The answer to a bad or stale DPoP proof on an API call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DpopError {
    /// 401, empty body, `WWW-Authenticate: DPoP … error="invalid_dpop_proof"` (RFC 9449 §7.1).
    #[default]
    Unauthorized,
    /// `dpop-error=400`: 400 with that challenge and an OAuth-shaped body, as the Okta SDKs'
    /// issue threads report.
    BadRequest,
    /// `dpop-error=403`: 403 `E0000005` "Invalid session" (one report).
    Forbidden,
}

/// Why a `--quirk` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuirkError {
    /// Not a quirk this emulator knows.
    #[error("unknown quirk `{0}`; known: {known}", known = Quirks::NAMES.join(", "))]
    Unknown(String),
    /// A quirk that takes no value was given one, or the value is not one it knows.
    #[error("quirk `{name}` does not take the value `{value}`")]
    BadValue {
        /// The quirk.
        name: String,
        /// The value given.
        value: String,
    },
    /// A quirk that needs a value was given none.
    #[error("quirk `{0}` needs a value")]
    MissingValue(String),
}

impl Quirks {
    /// Every quirk's name (with its values), for messages and help.
    pub const NAMES: &'static [&'static str] = &[
        "soft-delete",
        "limit-max-200",
        "csv-columns=okta-report|bom|unpadded",
        "dpop-error=400|403",
        "dpop-api-nonce",
        "dpop-stale-after=N",
        "next-drops-params",
        "unenroll-revokes",
        "delete-assigned-refused",
        "echo-errors",
    ];

    /// Switches on one `NAME[=VALUE]`.
    pub fn apply(&mut self, spec: &str) -> Result<(), QuirkError> {
        let (name, value) = match spec.trim().split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        let bad_value = |v: &str| QuirkError::BadValue {
            name: name.to_string(),
            value: v.to_string(),
        };
        let flag = |on: &mut bool| match value {
            None => {
                *on = true;
                Ok(())
            }
            Some(v) => Err(bad_value(v)),
        };
        let needed = || value.ok_or_else(|| QuirkError::MissingValue(name.to_string()));
        match name {
            "soft-delete" => flag(&mut self.soft_delete)?,
            "limit-max-200" => flag(&mut self.limit_max_200)?,
            "dpop-api-nonce" => flag(&mut self.dpop_api_nonce)?,
            "next-drops-params" => flag(&mut self.next_drops_params)?,
            "unenroll-revokes" => flag(&mut self.unenroll_revokes)?,
            "delete-assigned-refused" => flag(&mut self.delete_assigned_refused)?,
            "echo-errors" => flag(&mut self.echo_errors)?,
            "csv-columns" => {
                for v in needed()?.split(',').map(str::trim) {
                    match v {
                        "okta-report" => self.csv.okta_report = true,
                        "bom" => self.csv.bom = true,
                        "unpadded" => self.csv.unpadded = true,
                        _ => return Err(bad_value(v)),
                    }
                }
            }
            "dpop-error" => {
                self.dpop_error = match needed()? {
                    "400" => DpopError::BadRequest,
                    "403" => DpopError::Forbidden,
                    "401" => DpopError::Unauthorized,
                    v => return Err(bad_value(v)),
                }
            }
            "dpop-stale-after" => {
                let v = needed()?;
                self.dpop_stale_after = Some(v.parse().map_err(|_| bad_value(v))?);
            }
            _ => return Err(QuirkError::Unknown(name.to_string())),
        }
        Ok(())
    }

    /// Quirks from several specs, naming every refused one.
    pub fn parse_all<'a>(specs: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<QuirkError>> {
        let mut quirks = Quirks::default();
        let errors: Vec<QuirkError> = specs.into_iter().filter_map(|s| quirks.apply(s).err()).collect();
        if errors.is_empty() {
            Ok(quirks)
        } else {
            Err(errors)
        }
    }
}

impl fmt::Display for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on: Vec<String> = Vec::new();
        let mut add = |yes: bool, name: &str| {
            if yes {
                on.push(name.to_string());
            }
        };
        add(self.soft_delete, "soft-delete");
        add(self.limit_max_200, "limit-max-200");
        add(self.csv.okta_report, "csv-columns=okta-report");
        add(self.csv.bom, "csv-columns=bom");
        add(self.csv.unpadded, "csv-columns=unpadded");
        add(self.dpop_error == DpopError::BadRequest, "dpop-error=400");
        add(self.dpop_error == DpopError::Forbidden, "dpop-error=403");
        add(self.dpop_api_nonce, "dpop-api-nonce");
        add(self.unenroll_revokes, "unenroll-revokes");
        add(self.delete_assigned_refused, "delete-assigned-refused");
        add(self.echo_errors, "echo-errors");
        if let Some(n) = self.dpop_stale_after {
            on.push(format!("dpop-stale-after={n}"));
        }
        if self.next_drops_params {
            on.push("next-drops-params".to_string());
        }
        if on.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&on.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_delete_is_a_flag_without_a_value() {
        let q = Quirks::parse_all(["soft-delete"]).unwrap();
        assert!(q.soft_delete);
        assert_eq!(q.to_string(), "soft-delete");
        assert!(matches!(
            Quirks::parse_all(["soft-delete=yes"]).unwrap_err()[..],
            [QuirkError::BadValue { .. }]
        ));
    }

    #[test]
    fn next_drops_params_is_a_flag_without_a_value() {
        let q = Quirks::parse_all(["next-drops-params"]).unwrap();
        assert!(q.next_drops_params);
        assert_eq!(q.to_string(), "next-drops-params");
        assert!(Quirks::parse_all(["next-drops-params=1"]).is_err());
    }

    #[test]
    fn unknown_quirks_are_named_with_the_known_ones() {
        let errs = Quirks::parse_all(["fast", "soft-delete", "slow=1"]).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].to_string().contains("`fast`") && errs[0].to_string().contains("soft-delete"));
    }

    #[test]
    fn csv_columns_combine_by_repeating_or_by_commas() {
        let q = Quirks::parse_all(["csv-columns=okta-report", "csv-columns=bom,unpadded"]).unwrap();
        assert_eq!(
            q.csv,
            CsvQuirks {
                okta_report: true,
                bom: true,
                unpadded: true
            }
        );
        assert_eq!(
            q.to_string(),
            "csv-columns=okta-report, csv-columns=bom, csv-columns=unpadded"
        );
        assert!(Quirks::parse_all(["csv-columns=tsv"]).is_err());
        assert!(matches!(
            Quirks::parse_all(["csv-columns"]).unwrap_err()[..],
            [QuirkError::MissingValue(_)]
        ));
    }

    #[test]
    fn dpop_quirks_take_their_values() {
        let q = Quirks::parse_all(["dpop-error=400", "dpop-api-nonce", "dpop-stale-after=12"]).unwrap();
        assert_eq!(q.dpop_error, DpopError::BadRequest);
        assert!(q.dpop_api_nonce);
        assert_eq!(q.dpop_stale_after, Some(12));
        assert_eq!(
            Quirks::parse_all(["dpop-error=403"]).unwrap().dpop_error,
            DpopError::Forbidden
        );
        assert!(Quirks::parse_all(["dpop-error=418"]).is_err());
        assert!(Quirks::parse_all(["dpop-stale-after=soon"]).is_err());
        assert!(Quirks::parse_all(["limit-max-200"]).unwrap().limit_max_200);
    }

    #[test]
    fn the_lifecycle_readings_are_flags() {
        let q = Quirks::parse_all(["unenroll-revokes", "delete-assigned-refused"]).unwrap();
        assert!(q.unenroll_revokes && q.delete_assigned_refused);
        assert_eq!(q.to_string(), "unenroll-revokes, delete-assigned-refused");
        assert!(Quirks::parse_all(["unenroll-revokes=yes"]).is_err());
    }
}
