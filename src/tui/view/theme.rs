//! Colours, from the 16 every terminal has. Categories keep one colour
//! everywhere (definitely lost stands out, still reachable stays quiet), and
//! with NO_COLOR everything falls back to bold, dim and reverse.

use crate::explore::index::Category;
use crate::model::LeakKind;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    /// Honours <https://no-color.org>: any non-empty NO_COLOR turns colour off.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn category(&self, c: &Category) -> Style {
        match c {
            Category::Leak(LeakKind::DefinitelyLost) => {
                self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
            }
            Category::Leak(LeakKind::IndirectlyLost) => self.fg(Color::Red),
            Category::Leak(LeakKind::PossiblyLost) => self.fg(Color::Yellow),
            Category::Leak(LeakKind::StillReachable) => {
                if self.color {
                    self.fg(Color::DarkGray)
                } else {
                    Style::new().add_modifier(Modifier::DIM)
                }
            }
            Category::Error(_) => self.fg(Color::LightMagenta),
        }
    }

    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    /// The delta column against a baseline: new and grown stand out.
    pub fn growth(&self, status: crate::triage::diff::Status) -> Style {
        use crate::triage::diff::Status;
        match status {
            Status::New => self.fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            Status::Grown => self.fg(Color::LightYellow),
            _ => self.dim(),
        }
    }

    pub fn hidden(&self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            self.fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn own_frame(&self) -> Style {
        self.fg(Color::LightCyan).add_modifier(Modifier::BOLD)
    }

    pub fn library_frame(&self) -> Style {
        Style::new()
    }

    pub fn matched(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn focused_title(&self) -> Style {
        self.fg(Color::LightBlue)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn status(&self) -> Style {
        if self.color {
            Style::new().fg(Color::White).bg(Color::Blue)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::LightCyan).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }
}
