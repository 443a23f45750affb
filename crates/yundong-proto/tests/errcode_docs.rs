//! The errcode table of docs/API.md lists exactly the catalog of `errcode.rs`: every code once, with the errmsg text
//! WeChat writes and yundong answers. Adding a code to the catalog without listing it (or changing a text on one side
//! only) fails here.

use std::collections::BTreeMap;

use yundong_proto::errcode::ErrCode;

const API_MD: &str = include_str!("../../../docs/API.md");
const HEADER: &str = "| errcode | errmsg | when |";

/// The rows of the table that starts with [`HEADER`]: `(errcode, errmsg)` per row, in document order.
fn documented(doc: &str) -> Result<Vec<(i32, String)>, String> {
    let mut lines = doc.lines().skip_while(|l| l.trim() != HEADER);
    lines
        .next()
        .ok_or(format!("docs/API.md has no table headed `{HEADER}`"))?;
    let separator = lines.next().unwrap_or_default();
    if !separator.starts_with("|---") {
        return Err(format!(
            "the errcode table's second line is not a separator: {separator:?}"
        ));
    }
    let mut rows = Vec::new();
    for line in lines.take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 3 {
            return Err(format!("row with fewer than 3 cells: {line}"));
        }
        let code = cells[0]
            .parse::<i32>()
            .map_err(|_| format!("one errcode per row, a number: {line}"))?;
        rows.push((code, cells[1].trim_matches('`').to_string()));
    }
    Ok(rows)
}

/// Every way the documented rows and the catalog differ, one line each.
fn differences(rows: &[(i32, String)], catalog: &BTreeMap<i32, &str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeMap::new();
    for (code, text) in rows {
        if seen.insert(*code, text.as_str()).is_some() {
            out.push(format!("{code} is listed twice"));
        }
        match catalog.get(code) {
            None => out.push(format!("{code} is listed but not in the catalog")),
            Some(want) if want != text => out.push(format!("{code}: docs say {text:?}, the catalog {want:?}")),
            Some(_) => {}
        }
    }
    for (code, text) in catalog {
        if !seen.contains_key(code) {
            out.push(format!(
                "{code} ({text:?}) is in the catalog but not listed in docs/API.md"
            ));
        }
    }
    out
}

fn catalog() -> BTreeMap<i32, &'static str> {
    ErrCode::ALL.iter().map(|e| e.info()).collect()
}

#[test]
fn api_md_lists_exactly_the_catalog() {
    let rows = documented(API_MD).unwrap();
    assert_eq!(catalog().len(), ErrCode::ALL.len(), "two catalog entries share a code");
    let diff = differences(&rows, &catalog());
    assert!(
        diff.is_empty(),
        "docs/API.md's errcode table and errcode.rs disagree:\n{}",
        diff.join("\n")
    );
}

#[test]
fn a_missing_changed_or_extra_row_is_reported() {
    let rows = documented(API_MD).unwrap();
    let catalog = catalog();
    let without_last: Vec<_> = rows[..rows.len() - 1].to_vec();
    assert_eq!(differences(&without_last, &catalog).len(), 1);
    let mut changed = rows.clone();
    changed[0].1.push('!');
    assert_eq!(differences(&changed, &catalog).len(), 1);
    let mut extra = rows.clone();
    extra.push((99999, "made up".into()));
    assert_eq!(
        differences(&extra, &catalog),
        ["99999 is listed but not in the catalog"]
    );
    let mut twice = rows.clone();
    twice.push(rows[0].clone());
    assert_eq!(differences(&twice, &catalog).len(), 1);
    assert!(documented("| errcode | errmsg | when |\n|---|---|---|\n| 41001 / 41002 | a / b | |\n").is_err());
    assert!(documented("no table").is_err());
}
