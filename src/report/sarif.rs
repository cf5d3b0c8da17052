//! SARIF 2.1.0 for code scanning (`--format sarif`), shaped by what GitHub's
//! upload accepts: one run, one rule per leak kind and memcheck error kind
//! (with CWE tags), one result per visible finding at the first frame in the
//! user's source tree (else the top frame with its object), the whole stack
//! as a code flow, and a fingerprint from the address-free stack signature so
//! the same leak is the same alert in every run.
//!
//! Groups that rules hide are left out; each rule that hid something is
//! listed once as a tool notification, with its reason.

use super::findings::{Finding, Findings};
use super::kinds::{catalogue, info};
use super::source_tree::{primary, Place, Placed, SourceTree};
use crate::sanitize::sanitize;
use crate::triage::compare::GroupKind;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Results GitHub displays per run (it rejects more than 25,000, and shows
/// only the top 5,000).
pub const MAX_RESULTS: usize = 5_000;
/// Thread flow locations GitHub displays per result (it rejects more than 10,000).
pub const MAX_FLOW_LOCATIONS: usize = 1_000;
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "leakscope/stack/v1";

/// The SARIF log as JSON text, and a warning when results were cut.
pub fn write(f: &Findings, tree: &SourceTree, max_results: usize) -> (String, Option<String>) {
    let mut kinds = catalogue();
    for x in &f.findings {
        if !kinds.contains(&x.kind) {
            kinds.push(x.kind.clone());
        }
    }
    let rule_index: HashMap<String, usize> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (info(k).id, i))
        .collect();
    let total = f.findings.len();
    let shown = total.min(max_results);
    let cut = (shown < total).then(|| {
        format!(
            "SARIF: {} of {total} results left out (GitHub code scanning shows at most {max_results} per run); \
             the most severe and largest are kept",
            total - shown
        )
    });
    let results: Vec<Value> = f.findings[..shown]
        .iter()
        .map(|x| result(f, x, tree, rule_index[&info(&x.kind).id]))
        .collect();
    let mut notes: Vec<Value> = f
        .hidden
        .iter()
        .map(|h| {
            let why = h.reason.as_deref().unwrap_or("no # why: comment");
            json!({
                "level": "note",
                "message": { "text": format!(
                    "rule {} hid {} records ({} bytes) and {} error contexts in {}: {}",
                    sanitize(&h.rule), h.records, h.total_bytes, h.error_contexts,
                    f.processes.get(h.process).map(|p| p.label()).unwrap_or_default(),
                    sanitize(why)) },
                "descriptor": { "id": "hidden-by-rule" }
            })
        })
        .collect();
    if let Some(c) = &cut {
        notes.push(json!({ "level": "warning", "message": { "text": c } }));
    }
    let root_uri = format!("{}/", file_uri(&tree.root().to_string_lossy()));
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leakscope",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://valgrind.org/docs/manual/mc-manual.html",
                "rules": kinds.iter().map(rule).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            "results": results,
            "properties": {
                "comparing": f.comparing,
                "results_total": total,
                "results_shown": shown,
            },
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    (s, cut)
}

fn rule(kind: &GroupKind) -> Value {
    let i = info(kind);
    let mut tags: Vec<String> = vec!["memory".into(), "valgrind".into()];
    tags.extend(i.cwe.iter().map(|c| format!("external/cwe/cwe-{c}")));
    json!({
        "id": i.id,
        "name": i.title.replace(' ', ""),
        "shortDescription": { "text": i.title },
        "fullDescription": { "text": i.help },
        "help": { "text": i.help },
        "defaultConfiguration": { "level": i.level.word() },
        "properties": {
            "tags": tags,
            "cwe": i.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>(),
        },
    })
}

fn result(f: &Findings, x: &Finding, tree: &SourceTree, rule_index: usize) -> Value {
    let placed = tree.place_stack(f.interner, x.stack);
    let locations: Vec<Value> = primary(&placed, f.interner, x.stack)
        .map(|p| location(&p, None))
        .into_iter()
        .collect();
    let process = f.processes.get(x.process);
    // Valgrind prints the innermost frame first; a thread flow runs from
    // the outermost call to the allocation.
    let flow: Vec<Value> = placed
        .iter()
        .take(MAX_FLOW_LOCATIONS)
        .rev()
        .map(|p| json!({ "location": location(p, Some(&p.label)) }))
        .collect();
    let mut r = json!({
        "ruleId": info(&x.kind).id,
        "ruleIndex": rule_index,
        "level": x.level().word(),
        "message": { "text": format!("{} [{}]", x.sentence(),
            process.map(|p| p.label()).unwrap_or_default()) },
        "locations": locations,
        "partialFingerprints": { FINGERPRINT_KEY: x.fingerprint },
        "properties": {
            "kind": x.kind.key(),
            "top_frame": sanitize(&x.top_frame),
            "bytes": number(x.bytes),
            "total_bytes": number(x.total_bytes),
            "blocks": number(x.blocks),
            "records": x.records,
            "occurrences": number(x.occurrences),
            "pid": process.map(|p| p.pid),
        },
    });
    if !flow.is_empty() {
        r["codeFlows"] = json!([{ "threadFlows": [{ "locations": flow }] }]);
    }
    if let Some(g) = &x.growth {
        r["properties"]["status"] = json!(g.status.word());
        r["properties"]["delta"] = match i64::try_from(g.delta) {
            Ok(d) => json!(d),
            Err(_) => json!(g.delta.to_string()),
        };
    }
    r
}

/// A figure as a JSON number, or as a string of its digits past 2^64 (a
/// sum of hostile figures), which JSON numbers here cannot hold exactly.
fn number(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(n) => json!(n),
        Err(_) => json!(n.to_string()),
    }
}

/// A SARIF location for a placed frame: a file of the tree (relative to
/// `%SRCROOT%`) and line, else the object or logged file, plus the function.
fn location(p: &Placed, message: Option<&str>) -> Value {
    let mut loc = json!({});
    let physical = match &p.place {
        Place::Tree { path, line } => Some((
            json!({ "uri": uri_path(path), "uriBaseId": "%SRCROOT%" }),
            *line,
        )),
        Place::File { path, line } => Some((json!({ "uri": any_uri(path) }), *line)),
        Place::Object(o) => Some((json!({ "uri": any_uri(o) }), None)),
        Place::Unknown => None,
    };
    if let Some((artifact, line)) = physical {
        loc["physicalLocation"] = json!({ "artifactLocation": artifact });
        if let Some(l) = line.filter(|&l| l > 0) {
            loc["physicalLocation"]["region"] = json!({ "startLine": l });
        }
    }
    if let Some(func) = &p.function {
        loc["logicalLocations"] =
            json!([{ "fullyQualifiedName": sanitize(func), "kind": "function" }]);
    }
    if let Some(m) = message {
        loc["message"] = json!({ "text": sanitize(m) });
    }
    loc
}

/// An absolute path as a `file://` URI, a relative one as a relative reference.
fn any_uri(path: &str) -> String {
    if path.starts_with('/') {
        file_uri(path)
    } else {
        uri_path(path)
    }
}

pub fn file_uri(abs: &str) -> String {
    format!("file://{}", uri_path(abs))
}

/// Percent-encodes everything but unreserved characters and `/`, so any
/// name a log gives (spaces, `#`, `%`, control characters, non-ASCII) is a
/// valid URI reference.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/+@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri_path("src/a b#c%.c"), "src/a%20b%23c%25.c");
        assert_eq!(file_uri("/usr/lib/libx.so"), "file:///usr/lib/libx.so");
        assert_eq!(uri_path("é\u{1b}"), "%C3%A9%1B");
    }
}
