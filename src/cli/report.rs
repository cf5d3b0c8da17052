//! The headless commands over logs: `summary`, `supp`, `diff`, `flamegraph`.

use super::*;

pub(super) fn summary(args: SummaryArgs) -> Result<i32> {
    let rules = args.rules.load()?;
    if args.format != OutputFormat::Text {
        // The text summary lists them itself; JSON readers may not look.
        for p in rules.problems() {
            eprintln!("leakscope: rules: {p}");
        }
    }
    let report = args.input.load(&args.files)?;
    let by = args.group_by.group_by();
    // What the grouping needs of the report alone is made beside the rules,
    // on one core: the rules' threads leave a core idle part of the time.
    let (hiding, prepared) = std::thread::scope(|scope| {
        let prepared = scope.spawn(|| Prepared::new(&report, by, false));
        let hiding = rules.apply(&report);
        let prepared = prepared
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (hiding, prepared)
    });
    let summary = summarize_prepared(&report, &rules, &hiding, &prepared);
    // The process ends right after: freeing millions of interned frames and
    // records one by one would only delay the exit (by half a second on a
    // 1 GB log).
    std::mem::forget((hiding, prepared));
    let out = match args.format.ci() {
        Some(ci) => {
            let out = crate::report::ci::summary(
                ci,
                &summary,
                &report,
                &args.source.tree(),
                &args.fail_on,
            );
            for w in &out.warnings {
                eprintln!("leakscope: warning: {w}");
            }
            out.text
        }
        None if args.format == OutputFormat::Json => {
            let mut s =
                serde_json::to_string_pretty(&summary).context("serialising the summary")?;
            s.push('\n');
            s
        }
        None => text::write(&summary),
    };
    std::mem::forget(report);
    write_stdout(&out)?;
    let code = if fails(&summary, &args.fail_on) { 1 } else { 0 };
    // As the report: a summary of many groups is freed by the exit.
    std::mem::forget((summary, out));
    Ok(code)
}

pub(super) fn supp(args: SuppArgs) -> Result<i32> {
    use crate::triage::rules::generate::{for_visible, GenOptions, Selection};
    use crate::triage::rules::kinds::LeakKinds;
    let grep = match &args.grep {
        Some(g) => Some(regex::Regex::new(g).with_context(|| format!("--grep {g:?}"))?),
        None => None,
    };
    let mut kinds = LeakKinds::NONE;
    let mut errors = false;
    for k in &args.kinds {
        match k {
            FailOn::Leak(l) => kinds.insert(*l),
            FailOn::Errors => errors = true,
        }
    }
    if args.kinds.is_empty() {
        kinds = LeakKinds::ALL;
    }
    let rules = args.rules.load()?;
    for p in rules.problems() {
        eprintln!("leakscope: rules: {p}");
    }
    let report = args.input.load(&args.files)?;
    let hiding = rules.apply(&report);
    let sel = Selection {
        kinds,
        errors,
        grep: grep.as_ref(),
    };
    let opts = GenOptions {
        depth: args.depth,
        generalise: args.generalise,
    };
    write_stdout(&for_visible(&report, &hiding, &sel, opts))?;
    Ok(0)
}

pub(super) fn diff(args: DiffArgs) -> Result<i32> {
    use crate::report::{diff as out, diff_text, trend_text};
    use crate::triage::rules::RuleHider;
    use crate::triage::{diff, hidden_growth, signature::SignatureOptions, trend};
    let rules = args.rules.load()?;
    let locate = |name: &str| rules.locate(name);
    for p in rules.problems() {
        eprintln!("leakscope: rules: {p}");
    }
    let reports = args
        .files
        .iter()
        .map(|f| args.input.load(std::slice::from_ref(f)))
        .collect::<Result<Vec<_>>>()?;
    let runs: Vec<&crate::model::Report> = reports.iter().collect();
    let hider = RuleHider::new(&rules, &runs);
    let sig = SignatureOptions {
        depth: args.depth as usize,
        ignore_lines: args.ignore_lines,
        by_origin: args.group_by == GroupByArg::Origin,
    };
    let text = diff_text::TextOptions {
        all: args.all,
        width: args.width,
        rules_applied: !rules.is_empty(),
    };
    let (rendered, growth) = if let [base, new] = runs[..] {
        let opts = diff::DiffOptions { signature: sig };
        let d = diff::diff(base, new, &opts, &hider);
        let o = out::diff_output(base, new, &d, &sig, &locate);
        let s = match args.format.ci() {
            Some(ci) => {
                let out = crate::report::ci::diff(ci, &o, new, &args.source.tree())?;
                for w in &out.warnings {
                    eprintln!("leakscope: warning: {w}");
                }
                out.text
            }
            None if args.format == OutputFormat::Json => to_json(&o)?,
            None => diff_text::write(&o, &text),
        };
        (
            s,
            (o.visible_growth, hidden_growth::total(&o.hidden_growth)),
        )
    } else {
        let t = trend::trends(&runs, &sig, &hider);
        let o = out::trend_output(&runs, &t, &sig, &locate);
        let s = match args.format {
            OutputFormat::Text => trend_text::write(&o, &text),
            OutputFormat::Json => to_json(&o)?,
            f => anyhow::bail!(
                "--format {} compares two runs (BASE NEW); with three or more use text or json",
                f.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        };
        (
            s,
            (o.visible_growth, hidden_growth::total(&o.hidden_growth)),
        )
    };
    write_stdout(&rendered)?;
    let (visible, hidden) = growth;
    let Some(limit) = args.fail_on_growth else {
        return Ok(0);
    };
    use crate::report::human::{bytes, count};
    if visible > u128::from(limit) {
        eprintln!(
            "leakscope: visible growth {} B ({}) exceeds --fail-on-growth {} B ({})",
            count(visible),
            bytes(visible),
            count(limit),
            bytes(limit)
        );
        return Ok(1);
    }
    let counted = visible.saturating_add(hidden);
    if !args.allow_hidden_growth && counted > u128::from(limit) {
        eprintln!(
            "leakscope: growth {} B ({}), {} B of it hidden by rules, exceeds --fail-on-growth {} B ({}); \
             --allow-hidden-growth counts only visible growth",
            count(counted),
            bytes(counted),
            count(hidden),
            count(limit),
            bytes(limit)
        );
        return Ok(1);
    }
    Ok(0)
}

pub(super) fn flamegraph(args: FlameArgs) -> Result<i32> {
    use crate::report::flamegraph::{folded, svg, FlameOptions, Weight};
    let rules = args.rules.load()?;
    for p in rules.problems() {
        eprintln!("leakscope: rules: {p}");
    }
    let report = load_paths(&args.files, args.input.input_format.format())?;
    let hiding = rules.apply(&report);
    let weight = match args.weight {
        WeightArg::Bytes => Weight::Bytes,
        WeightArg::Total => Weight::Total,
        WeightArg::Blocks => Weight::Blocks,
    };
    let opts = FlameOptions {
        kinds: args.kinds,
        weight,
        all: args.all,
    };
    let text = folded(&report, &hiding, &opts);
    let Some(out) = args.svg else {
        write_stdout(&text)?;
        return Ok(0);
    };
    let names: Vec<String> = args
        .files
        .iter()
        .map(|f| crate::sanitize::sanitize(f).into_owned())
        .collect();
    let title = format!("leaked memory by allocation stack: {}", names.join(", "));
    let image = svg(&text, &title, weight.unit())?;
    let image = String::from_utf8(image).context("the flame graph is not UTF-8")?;
    crate::triage::rules::write::create_new(&out, &image)?;
    eprintln!("leakscope: wrote {}", out.display());
    Ok(0)
}
