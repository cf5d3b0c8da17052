//! Right-aligned figure columns whose widths come from the figures shown, so
//! no two figures ever run together at any magnitude (`16.0 EiB`, 6.8 M
//! records). The one place a table's widths are decided: the tree pane and
//! the rules panel lay out their columns here, and a new column (a sparkline,
//! a growth figure) is one more `Spec`.

use super::text::{right, width};

/// One column to lay out: its header, the widest cell it must hold, and
/// when it gives way on a narrow screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec<Id> {
    pub id: Id,
    pub head: String,
    /// The widest cell the column shows (display columns).
    pub widest: usize,
    /// 0 never drops; on a narrow screen the highest drops first.
    pub drop: u8,
}

impl<Id> Spec<Id> {
    pub fn new(id: Id, head: impl Into<String>, drop: u8) -> Spec<Id> {
        Spec {
            id,
            head: head.into(),
            widest: 0,
            drop,
        }
    }

    /// Widens the column to hold `cell`.
    pub fn fit(&mut self, cell: &str) {
        self.widest = self.widest.max(width(cell));
    }

    /// Widens the column to hold cells of `w` columns.
    pub fn fit_width(&mut self, w: usize) {
        self.widest = self.widest.max(w);
    }
}

/// A laid-out column: `width` cells of content after one cell of separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<Id> {
    pub id: Id,
    pub head: String,
    pub width: usize,
}

/// The columns that fit, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns<Id> {
    pub cols: Vec<Column<Id>>,
}

impl<Id: Copy + PartialEq> Columns<Id> {
    /// Lays out `specs` in a pane `pane` cells wide that keeps at least
    /// `keep` cells for what is left of the columns (names): each column is
    /// as wide as its header and its widest cell, plus one separator; while
    /// they do not fit, the column with the highest `drop` goes.
    pub fn layout(specs: Vec<Spec<Id>>, pane: usize, keep: usize) -> Columns<Id> {
        let mut specs = specs;
        let need = |s: &[Spec<Id>]| -> usize {
            s.iter()
                .map(|c| c.widest.max(width(&c.head)) + 1)
                .sum::<usize>()
        };
        while need(&specs) + keep > pane {
            let Some((at, _)) = specs
                .iter()
                .enumerate()
                .filter(|(_, s)| s.drop > 0)
                .max_by_key(|(i, s)| (s.drop, *i))
            else {
                break;
            };
            specs.remove(at);
        }
        Columns {
            cols: specs
                .into_iter()
                .map(|s| Column {
                    width: s.widest.max(width(&s.head)),
                    id: s.id,
                    head: s.head,
                })
                .collect(),
        }
    }

    /// Cells taken by every column with its separator.
    pub fn total(&self) -> usize {
        self.cols.iter().map(|c| c.width + 1).sum()
    }

    pub fn get(&self, id: Id) -> Option<&Column<Id>> {
        self.cols.iter().find(|c| c.id == id)
    }

    pub fn has(&self, id: Id) -> bool {
        self.get(id).is_some()
    }

    /// The header line's right part.
    pub fn header(&self) -> String {
        self.cols.iter().map(|c| cell(&c.head, c.width)).collect()
    }
}

/// One separator, then `text` right-aligned in `w` cells.
pub fn cell(text: &str, w: usize) -> String {
    format!(" {}", right(text, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum C {
        Bytes,
        Blocks,
        Bar,
    }

    fn specs(cells: &[(C, &str)]) -> Vec<Spec<C>> {
        let mut out = vec![
            Spec::new(C::Bytes, "bytes", 0),
            Spec::new(C::Blocks, "blocks", 1),
            Spec::new(C::Bar, "share", 2),
        ];
        for (id, text) in cells {
            out.iter_mut().find(|s| s.id == *id).unwrap().fit(text);
        }
        out
    }

    #[test]
    fn widths_follow_the_widest_figure_and_a_separator_survives() {
        let huge = crate::report::human::bytes(u128::MAX);
        let many = crate::report::human::count(6_800_000u64);
        let cols = Columns::layout(specs(&[(C::Bytes, &huge), (C::Blocks, &many)]), 200, 20);
        assert_eq!(cols.get(C::Bytes).unwrap().width, width(&huge));
        assert_eq!(cols.get(C::Blocks).unwrap().width, 9);
        let row = format!(
            "{}{}",
            cell(&huge, cols.get(C::Bytes).unwrap().width),
            cell(&many, cols.get(C::Blocks).unwrap().width)
        );
        assert_eq!(row, format!(" {huge} {many}"));
        // Headers set the width of small figures.
        let small = Columns::layout(specs(&[(C::Bytes, "8 B"), (C::Blocks, "1")]), 200, 20);
        assert_eq!(small.header(), " bytes blocks share");
        assert_eq!(small.total(), 19);
    }

    #[test]
    fn a_narrow_pane_drops_columns_in_order() {
        let s = specs(&[(C::Bytes, "1.0 MiB"), (C::Blocks, "1,000")]);
        assert_eq!(Columns::layout(s.clone(), 41, 20).cols.len(), 3);
        let two = Columns::layout(s.clone(), 35, 20);
        assert!(!two.has(C::Bar) && two.has(C::Blocks));
        let one = Columns::layout(s.clone(), 28, 20);
        assert_eq!(one.cols.len(), 1);
        // Never the last column that must stay, however narrow.
        assert!(Columns::layout(s, 0, 20).has(C::Bytes));
    }
}
