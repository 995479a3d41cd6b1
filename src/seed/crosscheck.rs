//! Checks across rows: duplicate serials, public ids shared between keys, AES keys shared between
//! keys. Rows are not kept: each valid row leaves a 32-byte [`Entry`] of hashes, and the checks
//! sort that vector three ways after the pass (32 MB for a million rows, no per-row allocation).
//!
//! The hashes are 64-bit: a false match needs a collision among a few million values, about
//! one chance in 10^7 for a million rows, and would show as a spurious error naming two lines.

use super::error::{RowProblem, WarningKind};
use super::record::Seed;
use std::collections::HashSet;

/// What the cross-row checks keep of one valid row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    serial: u32,
    line: u32,
    fingerprint: u64,
    public_id: u64,
    aes_key: u64,
}

impl Entry {
    /// `None` past line 4294967295, which a seed file never reaches.
    pub fn new(line: u64, seed: &Seed) -> Option<Entry> {
        Some(Entry {
            serial: seed.serial.get(),
            line: u32::try_from(line).ok()?,
            fingerprint: seed.fingerprint(),
            public_id: seed.public_id_hash(),
            aes_key: seed.aes_key_hash(),
        })
    }
}

/// A finding on one line; `serial` is the line's own.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding<T> {
    pub line: u64,
    pub serial: u32,
    pub what: T,
}

/// Everything the cross-row checks found.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Finding<RowProblem>>,
    pub warnings: Vec<Finding<WarningKind>>,
    /// Lines not to upload: repeats, superseded rows, and every row of a conflict.
    pub excluded: HashSet<u64>,
}

/// Runs the checks. `entries` is reordered and trimmed in place.
pub fn check(entries: &mut Vec<Entry>, last_wins: bool) -> Findings {
    let mut out = Findings::default();
    // Repeats and superseded rows leave the later checks; rows of a conflict stay, since fixing
    // the conflict would bring them back.
    let mut dropped = HashSet::new();
    // One u64 key per sort: cheaper to compare than a tuple over a million entries.
    entries.sort_unstable_by_key(|e| u64::from(e.serial) << 32 | u64::from(e.line));
    for g in entries.chunk_by(|a, b| a.serial == b.serial) {
        if g.len() > 1 {
            same_serial(g, last_wins, &mut out, &mut dropped);
        }
    }
    if !dropped.is_empty() {
        entries.retain(|e| !dropped.contains(&u64::from(e.line)));
    }
    entries.sort_unstable_by_key(|e| e.public_id);
    for g in entries.chunk_by_mut(|a, b| a.public_id == b.public_id) {
        if g.len() < 2 {
            continue;
        }
        g.sort_unstable_by_key(|e| e.line);
        let g = &*g;
        for (e, other) in partners(g) {
            let what = RowProblem::SharedPublicId {
                other_serial: other.serial.to_string(),
                other_line: other.line.into(),
            };
            out.errors.push(Finding {
                line: e.line.into(),
                serial: e.serial,
                what,
            });
            out.excluded.insert(e.line.into());
        }
    }
    entries.sort_unstable_by_key(|e| e.aes_key);
    for g in entries.chunk_by_mut(|a, b| a.aes_key == b.aes_key) {
        if g.len() < 2 {
            continue;
        }
        g.sort_unstable_by_key(|e| e.line);
        let g = &*g;
        // Only later rows warn, each naming the first row of another serial with the same key.
        for (e, other) in partners(g) {
            if other.line < e.line {
                let what = WarningKind::SharedAesKey {
                    other_serial: other.serial.to_string(),
                    other_line: other.line.into(),
                };
                out.warnings.push(Finding {
                    line: e.line.into(),
                    serial: e.serial,
                    what,
                });
            }
        }
    }
    out
}

/// Pairs each row of `g` with a row of another serial: `g[0]`, or for rows of `g[0]`'s serial the
/// first row of another (found once, so a huge group stays linear). A one-serial group gives none.
fn partners(g: &[Entry]) -> impl Iterator<Item = (Entry, Entry)> + '_ {
    let s0 = g[0].serial;
    let alt = g.iter().find(|o| o.serial != s0).copied();
    g.iter().filter_map(move |e| match alt {
        None => None,
        Some(a) if e.serial == s0 => Some((*e, a)),
        Some(_) => Some((*e, g[0])),
    })
}

/// Rows of one serial, in line order. Identical seeds are one key logged twice; different seeds
/// are a re-programmed key, where only `--last-wins` says which one is on the key now.
fn same_serial(g: &[Entry], last_wins: bool, out: &mut Findings, dropped: &mut HashSet<u64>) {
    let first = g[0];
    let conflict = g.iter().any(|e| e.fingerprint != first.fingerprint);
    if last_wins || !conflict {
        let kept = if last_wins { g[g.len() - 1] } else { first };
        for e in g.iter().filter(|e| e.line != kept.line) {
            let what = if e.fingerprint == kept.fingerprint {
                WarningKind::DuplicateRow {
                    kept_line: kept.line.into(),
                }
            } else {
                WarningKind::Superseded {
                    later_line: kept.line.into(),
                }
            };
            out.warnings.push(Finding {
                line: e.line.into(),
                serial: e.serial,
                what,
            });
            out.excluded.insert(e.line.into());
            dropped.insert(e.line.into());
        }
        return;
    }
    // A conflict: every row of the serial is held back, and each names a row that disagrees.
    let differs = g
        .iter()
        .find(|o| o.fingerprint != first.fingerprint)
        .copied()
        .unwrap_or(first);
    for e in g {
        let other = if e.fingerprint != first.fingerprint {
            first
        } else {
            differs
        };
        let what = RowProblem::ConflictingSerial {
            other_line: other.line.into(),
        };
        out.errors.push(Finding {
            line: e.line.into(),
            serial: e.serial,
            what,
        });
        out.excluded.insert(e.line.into());
    }
}
