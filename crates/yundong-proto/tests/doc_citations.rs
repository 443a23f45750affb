//! Every section citation in the repository points at a document inside it, at a section that exists.
//!
//! The sources cite facts and decisions as `docs/WECHAT.md §3.4` or `[DESIGN.md](DESIGN.md) §5.12` (several sections
//! may follow one name: `docs/DESIGN.md §3.2, §5.10–5.11`). This test reads every text file of the repository (not
//! `target/`, `.git/`, installed packages) and fails when a citation names no document, a document outside the
//! repository or missing, or a section the document does not have. A section exists when the document has a heading
//! numbered so (`### 5.10 …`, `## 5. …`) or a numbered list item directly under a numbered heading (item 15 under
//! `## 9.` is section 9.15). Inside a Markdown file a bare marker and number mean that file. Source keys
//! (`[W-stable]`) must be listed in docs/WECHAT.md §13. The marker is written as an escape in this file so that its
//! own examples are not scanned.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const MARK: char = '\u{a7}';

/// One citation: the document named before the marker (if any), the sections cited, and the line it is on.
#[derive(Debug, PartialEq, Eq)]
struct Citation {
    doc: Option<String>,
    sections: Vec<String>,
    line: usize,
}

/// The characters a section token may hold: `5`, `5.10`, `3.3–3.4`.
fn section_char(c: char) -> bool {
    c.is_ascii_digit() || c == '.' || c == '\u{2013}' || c == '-'
}

fn doc_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

/// The text before a marker with what may sit between chained citations removed from its end: whitespace, comment
/// leaders, punctuation and the words "and" / "or".
fn trim_connectors(mut s: &str) -> &str {
    loop {
        let before = s;
        s = s.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '!' | '*' | '('));
        for word in [" and", " or"] {
            if let Some(rest) = s.strip_suffix(word) {
                s = rest;
            }
        }
        if s == before {
            return s;
        }
    }
}

/// The document a marker at `at` belongs to, walking back over earlier citations of the same chain.
fn doc_before(text: &str, at: usize) -> Option<String> {
    let mut s = &text[..at];
    loop {
        s = trim_connectors(s);
        // An earlier citation of the same chain (the marker, then `5.10`) before this one.
        let token_start = s.trim_end_matches(section_char).len();
        if token_start < s.len() && s[..token_start].ends_with(MARK) {
            s = &s[..token_start - MARK.len_utf8()];
            continue;
        }
        if token_start == s.len() && s.ends_with(MARK) {
            s = &s[..s.len() - MARK.len_utf8()];
            continue;
        }
        // A Markdown link: `[DESIGN.md](DESIGN.md)` names its target.
        if let Some(inner) = s.strip_suffix(')') {
            let open = inner.rfind("](")?;
            let target = &inner[open + 2..];
            return target.ends_with(".md").then(|| target.to_string());
        }
        let word_start = s.trim_end_matches(doc_char).len();
        let word = s[word_start..].trim_start_matches('.');
        return word.ends_with(".md").then(|| word.to_string());
    }
}

/// Every citation in `text`.
fn citations(text: &str) -> Vec<Citation> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(MARK) {
        let after = &text[at + MARK.len_utf8()..];
        let token: String = after.chars().take_while(|c| section_char(*c)).collect();
        let token = token.trim_end_matches(['.', '-']);
        let sections = if token.is_empty() {
            Vec::new()
        } else {
            token
                .split(['\u{2013}', '-'])
                .map(|s| s.trim_end_matches('.').to_string())
                .collect()
        };
        let line = text[..at].matches('\n').count() + 1;
        out.push(Citation {
            doc: doc_before(text, at),
            sections,
            line,
        });
    }
    out
}

/// The sections a Markdown document has: numbered headings, and numbered list items directly under one.
fn sections_of(doc: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let title = rest.trim_start_matches('#').trim_start();
            let number = title.split_whitespace().next().unwrap_or("").trim_end_matches('.');
            let numbered = !number.is_empty()
                && number
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            current = numbered.then(|| number.to_string());
            if let Some(n) = &current {
                out.insert(n.clone());
            }
            continue;
        }
        if let (Some(parent), Some((item, _))) = (&current, line.split_once(". "))
            && !item.is_empty()
            && item.bytes().all(|b| b.is_ascii_digit())
        {
            out.insert(format!("{parent}.{item}"));
        }
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The repository's text files, without build output, VCS data and installed packages.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    const SKIP: [&str; 6] = ["target", ".git", "node_modules", ".venv", "venv", "__pycache__"];
    const TEXT: [&str; 13] = [
        "rs", "md", "js", "mjs", "py", "sh", "toml", "sql", "html", "css", "yml", "yaml", "txt",
    ];
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIP.contains(&name.as_str()) && (!name.starts_with('.') || name == ".ci" || name == ".github") {
                text_files(&path, out);
            }
        } else if path
            .extension()
            .is_none_or(|e| TEXT.contains(&e.to_string_lossy().as_ref()))
        {
            out.push(path);
        }
    }
}

/// The file a cited document name stands for, if it is inside the repository.
fn resolve(root: &Path, citing: &Path, doc: &str) -> Option<PathBuf> {
    if doc.contains("://") {
        return None;
    }
    let dir = citing.parent()?;
    [dir.join(doc), root.join(doc), root.join("docs").join(doc)]
        .into_iter()
        .filter_map(|p| p.canonicalize().ok())
        .find(|p| p.starts_with(root) && p.is_file())
}

/// Source keys cited as `[W-stable]`.
fn source_keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('[') {
        let rest = &text[at + 1..];
        let Some(end) = rest.find(']') else { continue };
        let key = &rest[..end];
        let Some((kind, name)) = key.split_once('-') else {
            continue;
        };
        if matches!(kind, "W" | "C" | "B" | "M" | "R" | "I" | "P")
            && name.len() >= 2
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            out.push(key.to_string());
        }
    }
    out
}

#[test]
fn every_citation_names_a_section_of_a_document_in_the_repository() {
    let root = repo_root();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    files.sort();
    let wechat = fs::read_to_string(root.join("docs/WECHAT.md")).expect("docs/WECHAT.md");
    let listed: BTreeSet<String> = wechat
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    // Names of documents outside the repository that older comments cited.
    let outside = [
        format!("spec {MARK}"),
        format!("DESIGN {MARK}"),
        ["werun", "spec.md"].join("-"),
        ["/work", "shared"].join("/"),
    ];
    let mut errors = Vec::new();
    let mut checked = 0;
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else { continue };
        let rel = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        for name in &outside {
            if let Some(at) = text.find(name.as_str()) {
                let line = text[..at].matches('\n').count() + 1;
                errors.push(format!("{rel}:{line}: cites `{name}`, which is not in the repository"));
            }
        }
        for key in source_keys(&text) {
            if !listed.contains(&key) {
                errors.push(format!(
                    "{rel}: source key [{key}] is not listed in docs/WECHAT.md {MARK}13"
                ));
            }
        }
        for c in citations(&text) {
            checked += 1;
            let at = format!("{rel}:{}", c.line);
            let doc = match (&c.doc, rel.ends_with(".md")) {
                (Some(doc), _) => match resolve(&root, file, doc) {
                    Some(path) => path,
                    None => {
                        errors.push(format!("{at}: cites {doc}, which is not a document of the repository"));
                        continue;
                    }
                },
                (None, true) => file.clone(),
                (None, false) => {
                    errors.push(format!(
                        "{at}: a {MARK} citation that names no document (write docs/NAME.md {MARK}N)"
                    ));
                    continue;
                }
            };
            if c.sections.is_empty() {
                errors.push(format!("{at}: cite a numbered section ({MARK}N or {MARK}N.M)"));
                continue;
            }
            let have = sections_of(&fs::read_to_string(&doc).unwrap_or_default());
            for s in &c.sections {
                if !have.contains(s) {
                    let name = doc.strip_prefix(&root).unwrap_or(&doc).display().to_string();
                    errors.push(format!("{at}: {name} has no section {MARK}{s}"));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} citations found: is the scan looking at the repository ({})?",
        root.display()
    );
    assert!(
        errors.is_empty(),
        "{} bad citations:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn citations_are_parsed_with_their_document_and_sections() {
    let m = MARK;
    let text = format!(
        "//! Share cards (docs/DESIGN.md {m}3.2, {m}5.10\u{2013}5.11; docs/WECHAT.md {m}6)\n\
         see [DESIGN.md](DESIGN.md) {m}5.12 resolves [WECHAT.md](WECHAT.md) {m}9.15 and {m}2.\n\
         spec {m}1.4 and {m}Tools"
    );
    let got = citations(&text);
    let want = [
        (Some("docs/DESIGN.md"), vec!["3.2"], 1),
        (Some("docs/DESIGN.md"), vec!["5.10", "5.11"], 1),
        (Some("docs/WECHAT.md"), vec!["6"], 1),
        (Some("DESIGN.md"), vec!["5.12"], 2),
        (Some("WECHAT.md"), vec!["9.15"], 2),
        (Some("WECHAT.md"), vec!["2"], 2),
        (None, vec!["1.4"], 3),
        (None, vec![], 3),
    ];
    let want: Vec<Citation> = want
        .into_iter()
        .map(|(doc, sections, line)| Citation {
            doc: doc.map(str::to_string),
            sections: sections.into_iter().map(str::to_string).collect(),
            line,
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn sections_are_numbered_headings_and_items_under_them() {
    let doc = "# Title\n## 1. One\ntext\n### 1.2 Two\n1. an item of 1.2: 1.2.1\n## 9. Open\n\n15. **Share**\n\
               ## Tools\n3. not numbered under a named heading\n```\n## 7. in a code block\n```\n";
    let got = sections_of(doc);
    let want: BTreeSet<String> = ["1", "1.2", "1.2.1", "9", "9.15"]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn documents_outside_the_repository_do_not_resolve() {
    let root = repo_root();
    let citing = root.join("crates/yundong-proto/src/lib.rs");
    assert!(resolve(&root, &citing, "docs/WECHAT.md").is_some());
    assert!(resolve(&root, &root.join("docs/API.md"), "DESIGN.md").is_some());
    assert!(
        resolve(
            &root,
            &root.join("conformance/README.md"),
            "../../shared/spec/clients.md"
        )
        .is_none()
    );
    assert!(resolve(&root, &citing, "clients.md").is_none());
    assert!(resolve(&root, &citing, "https://example.com/x.md").is_none());
}

#[test]
fn source_keys_are_found() {
    assert_eq!(
        source_keys("a [W-stable] b [C-40164] [O23] [x] [W-] [P-1] [w-x]"),
        ["W-stable", "C-40164"]
    );
}
