//! The client failure reasons table of docs/API.md lists exactly the fixed reasons of `reason.rs`: adding a reason
//! to the catalog without listing it (or changing its text on one side only) fails here.

use yundong_proto::reason::Reason;

const API_MD: &str = include_str!("../../../docs/API.md");
const HEADER: &str = "| reason | source | when |";

fn documented() -> Vec<String> {
    let mut lines = API_MD.lines().skip_while(|l| l.trim() != HEADER);
    assert!(lines.next().is_some(), "docs/API.md has no table headed `{HEADER}`");
    let separator = lines.next().unwrap_or_default();
    assert!(
        separator.starts_with("|---"),
        "no separator under the header: {separator:?}"
    );
    lines
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches('`')
                .to_owned()
        })
        .collect()
}

#[test]
fn api_md_lists_exactly_the_fixed_reasons() {
    let mut documented = documented();
    let mut catalog: Vec<String> = Reason::FIXED.iter().map(|r| r.text().to_owned()).collect();
    documented.sort();
    catalog.sort();
    assert_eq!(
        documented, catalog,
        "docs/API.md's reasons table and reason.rs's Reason::FIXED differ"
    );
}
