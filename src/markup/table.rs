//! Tables as data: columns, cells cut to a number of rows, and how many rows there were. Each
//! format renders them; the Markdown writer is here because the report and
//! `reconcile --format md` share it.

use super::escape::md_cell;
use std::fmt::Write as _;

/// A column: its title and how its cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header.
    pub title: &'static str,
    /// Numbers: aligned right.
    pub numeric: bool,
    /// Identifiers (serials, Okta ids): set in a monospace face where the format has one.
    pub mono: bool,
}

impl Column {
    /// A column of text.
    pub const fn text(title: &'static str) -> Self {
        Column {
            title,
            numeric: false,
            mono: false,
        }
    }

    /// A column of numbers.
    pub const fn number(title: &'static str) -> Self {
        Column {
            numeric: true,
            ..Column::text(title)
        }
    }

    /// A column of identifiers.
    pub const fn id(title: &'static str) -> Self {
        Column {
            mono: true,
            ..Column::text(title)
        }
    }
}

/// How a cell's text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// As it is.
    #[default]
    Plain,
    /// As code (a hash, a command).
    Code,
    /// A value that calls for action: emphasised where the format can.
    Alert,
}

/// One cell. Its text is raw: the writers escape it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// How it is set.
    pub style: Style,
    /// An id for formats that have them, so a link or a check can find the value.
    pub anchor: Option<String>,
}

impl Cell {
    /// A cell set as code.
    pub fn code(text: impl Into<String>) -> Self {
        Cell {
            style: Style::Code,
            ..Cell::from(text.into())
        }
    }

    /// A cell that calls for action.
    pub fn alert(text: impl Into<String>) -> Self {
        Cell {
            style: Style::Alert,
            ..Cell::from(text.into())
        }
    }

    /// This cell with an anchor.
    pub fn anchored(self, id: String) -> Self {
        Cell {
            anchor: Some(id),
            ..self
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            ..Cell::default()
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::from(text.to_string())
    }
}

impl From<Option<&str>> for Cell {
    fn from(text: Option<&str>) -> Self {
        Cell::from(text.unwrap_or_default())
    }
}

/// A table cut to its first rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows shown, one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// How many rows there were before the cut.
    pub total: usize,
}

impl Table {
    /// The first `limit` of `items` as rows; only those are turned into cells.
    pub fn of<T>(
        columns: &[Column],
        items: impl IntoIterator<Item = T>,
        limit: usize,
        row: impl FnMut(T) -> Vec<Cell>,
    ) -> Self {
        let mut items = items.into_iter();
        let rows: Vec<Vec<Cell>> = items.by_ref().take(limit).map(row).collect();
        let total = rows.len() + items.count();
        Table {
            columns: columns.to_vec(),
            rows,
            total,
        }
    }

    /// Whether rows were cut.
    pub fn is_cut(&self) -> bool {
        self.total > self.rows.len()
    }
}

/// Writes a Markdown table: the header, the alignment line, one line per row shown. Every cell
/// is escaped with [`md_cell`]; code cells go in backticks.
pub fn markdown(out: &mut String, table: &Table) {
    let titles: Vec<&str> = table.columns.iter().map(|c| c.title).collect();
    let _ = writeln!(out, "| {} |", titles.join(" | "));
    for c in &table.columns {
        out.push_str(if c.numeric { "|---:" } else { "|---" });
    }
    out.push_str("|\n");
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(markdown_cell).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

fn markdown_cell(cell: &Cell) -> String {
    match cell.style {
        Style::Code => format!("`{}`", md_cell(&cell.text)),
        Style::Plain | Style::Alert => md_cell(&cell.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_table_knows_its_total_and_renders_escaped_markdown() {
        let t = Table::of(
            &[Column::text("name"), Column::number("n")],
            ["a|b", "c", "d"],
            2,
            |s| vec![Cell::code(s), Cell::from("1")],
        );
        assert!(t.is_cut());
        assert_eq!(t.total, 3);
        let mut out = String::new();
        markdown(&mut out, &t);
        assert_eq!(out, "| name | n |\n|---|---:|\n| `a\\|b` | 1 |\n| `c` | 1 |\n");
    }
}
