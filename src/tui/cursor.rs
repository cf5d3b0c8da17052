//! The tree's selection and scroll: a position in the model's rows and the
//! first row on screen. UI state only; the rows are the model's.

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TreeCursor {
    pub selected: usize,
    pub offset: usize,
}

impl TreeCursor {
    /// Selects row `i` of `rows` (clamped) and scrolls so it is within
    /// `height` rows.
    pub fn select(&mut self, i: usize, rows: usize, height: usize) {
        self.selected = i.min(rows.saturating_sub(1));
        self.scroll_into_view(rows, height);
    }

    pub fn scroll_into_view(&mut self, rows: usize, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(rows.saturating_sub(height));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_stays_on_screen_and_in_range() {
        let mut c = TreeCursor::default();
        c.select(30, 100, 10);
        assert_eq!((c.selected, c.offset), (30, 21));
        c.select(5, 100, 10);
        assert_eq!((c.selected, c.offset), (5, 5));
        c.select(500, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.select(3, 0, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
    }
}
