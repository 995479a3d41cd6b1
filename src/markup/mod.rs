//! Markup shared by every renderer of reports and reconciliations: escaping for HTML, for
//! Markdown table cells and for the words of a command an admin is told to paste ([`escape`]),
//! and tables as data with their Markdown writer ([`table`]).
//!
//! A leaf: it names no other module of the crate, so `report` (which reads `reconcile`) and
//! `reconcile --format md` can share one table writer and one escaping without an import cycle.
//! It knows nothing of what the tables hold; the HTML table writer lives with the report's
//! stylesheet.

pub mod escape;
pub mod table;

pub use escape::{html, md_cell, shell_word};
