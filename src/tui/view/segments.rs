//! A line made of segments that give way gracefully when the terminal is
//! narrow: first the least important segments take their short form, then
//! they drop, so what a narrow line keeps is what matters most (the status
//! line at 80 columns says less than at 200, never something cut mid-word).

use super::text::{fit, width};
use ratatui::style::Style;
use ratatui::text::Span;

/// Never dropped (it may still be cut when nothing else is left).
pub const ALWAYS: u8 = u8::MAX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub full: String,
    /// What it says when space is short; `None` has no shorter form.
    pub short: Option<String>,
    pub style: Style,
    /// How much it matters: the lowest gives way first.
    pub keep: u8,
}

impl Segment {
    pub fn new(full: impl Into<String>, keep: u8) -> Segment {
        Segment {
            full: full.into(),
            short: None,
            style: Style::new(),
            keep,
        }
    }

    pub fn short(mut self, short: impl Into<String>) -> Segment {
        self.short = Some(short.into());
        self
    }

    pub fn style(mut self, style: Style) -> Segment {
        self.style = style;
        self
    }
}

/// What each segment shows once fitted.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    Full,
    Short,
    Gone,
}

/// Lays `segs` out in `max` columns, in their order, joined by `sep` (in
/// `sep_style`) after `lead`: shortening, then dropping, the least important
/// first (the later of equals first).
pub fn fit_segments(
    segs: &[Segment],
    lead: &str,
    sep: &str,
    sep_style: Style,
    max: usize,
) -> Vec<Span<'static>> {
    let mut forms = vec![Form::Full; segs.len()];
    let text = |s: &Segment, f: Form| -> usize {
        match f {
            Form::Full => width(&s.full),
            Form::Short => width(s.short.as_deref().unwrap_or(&s.full)),
            Form::Gone => 0,
        }
    };
    let total = |forms: &[Form]| -> usize {
        let shown = forms.iter().filter(|f| **f != Form::Gone).count();
        width(lead)
            + segs
                .iter()
                .zip(forms)
                .map(|(s, &f)| text(s, f))
                .sum::<usize>()
            + shown.saturating_sub(1) * width(sep)
    };
    // Each step takes the least important segment that can still give way.
    while total(&forms) > max {
        let step = segs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let next = match forms[i] {
                    Form::Full if s.short.is_some() => Form::Short,
                    Form::Full | Form::Short if s.keep != ALWAYS => Form::Gone,
                    _ => return None,
                };
                Some((s.keep, std::cmp::Reverse(i), i, next))
            })
            .min();
        let Some((_, _, i, next)) = step else {
            break;
        };
        forms[i] = next;
    }
    let mut spans = vec![Span::styled(lead.to_string(), sep_style)];
    let mut first = true;
    for (s, f) in segs.iter().zip(&forms) {
        let t = match f {
            Form::Full => &s.full,
            Form::Short => s.short.as_ref().unwrap_or(&s.full),
            Form::Gone => continue,
        };
        if !first {
            spans.push(Span::styled(sep.to_string(), sep_style));
        }
        first = false;
        spans.push(Span::styled(t.clone(), s.style));
    }
    fit(spans, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(segs: &[Segment], max: usize) -> String {
        fit_segments(segs, " ", " · ", Style::new(), max)
            .iter()
            .map(|s| s.content.as_ref())
            .collect()
    }

    #[test]
    fn least_important_shortens_then_drops() {
        let segs = [
            Segment::new("run.log", ALWAYS),
            Segment::new("regex /foo/ 3 matches", 8).short("/foo/ 3"),
            Segment::new("sort bytes", 2),
            Segment::new("182 rules", 3).short("rules"),
            Segment::new("valgrind-text", 1),
        ];
        assert_eq!(
            line(&segs, 200),
            " run.log · regex /foo/ 3 matches · sort bytes · 182 rules · valgrind-text"
        );
        assert_eq!(
            line(&segs, 60),
            " run.log · regex /foo/ 3 matches · sort bytes · 182 rules"
        );
        assert_eq!(
            line(&segs, 45),
            " run.log · regex /foo/ 3 matches · 182 rules"
        );
        assert_eq!(line(&segs, 40), " run.log · regex /foo/ 3 matches · rules");
        assert_eq!(line(&segs, 30), " run.log · /foo/ 3");
        assert_eq!(line(&segs, 12), " run.log");
        // What must stay is cut, never dropped.
        assert_eq!(line(&segs, 6), " run.…");
    }
}
