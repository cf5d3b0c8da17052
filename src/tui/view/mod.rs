//! Drawing. Everything here reads the app and writes cells; nothing changes
//! state, so any state can be drawn (and snapshot-tested) at any size.

pub mod columns;
pub mod detail_pane;
pub mod filter_bar;
pub mod help;
pub mod rules_panel;
pub mod segments;
pub mod status_bar;
pub mod text;
pub mod theme;
pub mod tree_pane;

use super::app::App;
use ratatui::Frame;

pub fn render(app: &App, f: &mut Frame) {
    let area = f.area();
    let a = app.areas();
    let buf = f.buffer_mut();
    if let (Some(r), Some(text)) = (a.banner, app.banner()) {
        let line = ratatui::text::Line::styled(
            text::truncate(&format!(" {text}"), r.width as usize),
            app.theme.error(),
        );
        text::put_line(buf, r.x, r.y, &line, r.width);
    }
    tree_pane::render(app, buf, a.tree_header, a.tree_rows);
    detail_pane::render(app, buf, a.detail_title, a.detail_body, a.separator);
    status_bar::render(app, buf, a.status);
    filter_bar::render(app, buf, a.bottom);
    rules_panel::render(app, buf, area);
    help::render(app, buf, area);
}
