//! Journeys: key sequences replayed through the real keymap into
//! `App::update`, checking state and screen after each step (as dua-cli's
//! journey tests do), on a real Numba/llvmlite log.
#![cfg(feature = "tui")]

#[path = "../tui_support/mod.rs"]
mod tui_support;

mod growth;
mod hide;
mod navigate;
mod python;
mod session;

use leakscope::model::LeakKind;
use leakscope::parse::Progress;
use leakscope::tui::app::{Focus, Overlay};
use leakscope::tui::index::Category;
use leakscope::tui::jobs::Reloaded;
use leakscope::tui::keymap::Mode;
use leakscope::tui::loader::Snapshot;
use leakscope::tui::tree::NodeRef;
use leakscope::tui::{Action, App, Effect, Theme};
use tui_support::*;

fn is_item(app: &App) -> bool {
    matches!(app.selected_node(), Some(NodeRef::Item { .. }))
}

fn dl_hidden_bytes(app: &App) -> u128 {
    let d = &app.model;
    d.proj()
        .by_category
        .iter()
        .find(|(c, _)| *c == Category::Leak(LeakKind::DefinitelyLost))
        .map(|(_, f)| f.hid.bytes)
        .unwrap()
}
