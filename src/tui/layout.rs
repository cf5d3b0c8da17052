//! Where each pane goes for a terminal size. A pure function, used both by
//! drawing and by `update` (to scroll the selection into view and to map a
//! mouse click to a row) so the two always agree.

use ratatui::layout::{Position, Rect};

/// Side by side from this width; stacked below it, where both panes get
/// the full width that long C++ frames need (80×24 and 120×40 included).
pub const WIDE: u16 = 140;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The tree's header line.
    pub tree_header: Rect,
    pub tree_rows: Rect,
    /// The detail pane's title line.
    pub detail_title: Rect,
    pub detail_body: Rect,
    /// The one-column separator between the panes when side by side.
    pub separator: Option<Rect>,
    /// Two status lines.
    pub status: Rect,
    /// The hint bar, the filter bar, or a message.
    pub bottom: Rect,
    /// A warning line above everything (a log cut off), when there is one.
    pub banner: Option<Rect>,
}

/// The panes for a terminal `area`; `banner` reserves its top line for a
/// warning that must not be missed.
pub fn areas(area: Rect, banner: bool) -> Areas {
    let (banner, area) = if banner && area.height > 3 {
        let b = Rect::new(area.x, area.y, area.width, 1);
        (
            Some(b),
            Rect::new(area.x, area.y + 1, area.width, area.height - 1),
        )
    } else {
        (None, area)
    };
    let h = area.height;
    let bottom_h = 1.min(h);
    let status_h = 2.min(h - bottom_h);
    let main_h = h - bottom_h - status_h;
    let main = Rect::new(area.x, area.y, area.width, main_h);
    let status = Rect::new(area.x, area.y + main_h, area.width, status_h);
    let bottom = Rect::new(area.x, area.y + main_h + status_h, area.width, bottom_h);
    let (tree, detail, separator) = if area.width >= WIDE {
        let tw = area.width * 3 / 5;
        let tree = Rect::new(main.x, main.y, tw, main.height);
        let sep = Rect::new(main.x + tw, main.y, 1, main.height);
        let detail = Rect::new(main.x + tw + 1, main.y, area.width - tw - 1, main.height);
        (tree, detail, Some(sep))
    } else {
        let th = (main.height * 11).div_ceil(20);
        let tree = Rect::new(main.x, main.y, main.width, th);
        let detail = Rect::new(main.x, main.y + th, main.width, main.height - th);
        (tree, detail, None)
    };
    let (tree_header, tree_rows) = split_first_line(tree);
    let (detail_title, detail_body) = split_first_line(detail);
    Areas {
        tree_header,
        tree_rows,
        detail_title,
        detail_body,
        separator,
        status,
        bottom,
        banner,
    }
}

fn split_first_line(r: Rect) -> (Rect, Rect) {
    let first = Rect::new(r.x, r.y, r.width, 1.min(r.height));
    let rest = Rect::new(r.x, r.y + first.height, r.width, r.height - first.height);
    (first, rest)
}

pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    r.contains(Position::new(col, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_fill_the_screen_at_any_size() {
        for (w, h) in [(80, 24), (200, 60), (120, 40), (20, 3), (1, 1), (0, 0)] {
            let a = areas(Rect::new(0, 0, w, h), false);
            let used = a.tree_header.height
                + a.tree_rows.height
                + a.status.height
                + a.bottom.height
                + if a.separator.is_some() {
                    0
                } else {
                    a.detail_title.height + a.detail_body.height
                };
            assert_eq!(used, h, "{w}x{h}");
        }
        let a = areas(Rect::new(0, 0, 80, 24), false);
        assert_eq!((a.tree_rows.height, a.detail_body.height), (11, 8));
        let b = areas(Rect::new(0, 0, 80, 24), true);
        assert_eq!(b.banner, Some(Rect::new(0, 0, 80, 1)));
        assert_eq!(b.tree_header.y, 1);
        assert_eq!(b.bottom, a.bottom);
    }
}
