//! The Repairs section as both views show it: a sentence, the counts per state (the HTML draws
//! them as bars too) and one row per serial with its action, where it ended and why.

use super::super::repairs::{RepairState, Repairs};
use super::super::TABLE_ROWS;
use crate::journal::repair::RepairAction;
use crate::markup::table::{Cell, Column, Table};

/// The sentence that opens the section.
pub fn repairs_sentence(r: &Repairs) -> String {
    let planned: Vec<String> = RepairAction::ALL
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                r.planned.get(a.as_str()).copied().unwrap_or(0),
                a.as_str()
            )
        })
        .collect();
    let ended: Vec<String> = RepairState::ALL
        .iter()
        .map(|s| format!("{} {}", r.count(*s), s.as_str()))
        .collect();
    format!(
        "{} action(s) planned ({}): {}. A reissue deletes a BLOCKED token, then uploads its seed again; an action whose target changed since the plan (a key enrolled meanwhile) is skipped, never forced.",
        r.rows.len(),
        planned.join(", "),
        ended.join(", ")
    )
}

/// The counts per state, in report order (`state-NAME` anchors the count).
pub fn repairs_states_table(r: &Repairs) -> Table {
    let columns = [Column::text("Outcome"), Column::number("Count")];
    Table::of(&columns, RepairState::ALL, usize::MAX, |s| {
        let anchor = format!("repair-{}", s.as_str().replace(' ', "-"));
        vec![
            s.as_str().into(),
            Cell::from(r.count(s).to_string()).anchored(anchor),
        ]
    })
}

/// One row per serial, cut at [`TABLE_ROWS`].
pub fn repairs_table(r: &Repairs) -> Table {
    let columns = [
        Column::id("Serial"),
        Column::text("Action"),
        Column::text("Outcome"),
        Column::id("Deleted token"),
        Column::id("New token"),
        Column::text("File:line"),
        Column::text("Why"),
    ];
    Table::of(&columns, &r.rows, TABLE_ROWS, |row| {
        let outcome = match row.state {
            RepairState::Failed | RepairState::Pending => Cell::alert(row.state.as_str()),
            RepairState::Done | RepairState::Skipped => row.state.as_str().into(),
        };
        vec![
            row.serial.as_str().into(),
            row.action.as_str().into(),
            outcome,
            row.deleted_token.as_deref().into(),
            row.token_id.as_deref().into(),
            row.place.as_str().into(),
            row.detail.as_str().into(),
        ]
    })
}
