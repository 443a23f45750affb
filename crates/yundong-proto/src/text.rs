//! Rules for display text (nicknames, app and group names, card titles): what people see must be what is there.
//! Control characters and invisible *format* characters (zero-width spaces and joiners, the BOM, bidi embeddings,
//! overrides and isolates, invisible operators, tag characters, Hangul fillers) are refused, since they let
//! `alice\u{200b}` pass for `alice` or reorder what a reader sees.

/// Whether `c` is a control character or an invisible character that changes how text reads without showing.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{061C}'                    // Arabic letter mark
            | '\u{115F}' | '\u{1160}'       // Hangul choseong/jungseong fillers
            | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}'       // Mongolian free variation selectors and vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{2028}' | '\u{2029}'       // line and paragraph separators
            | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates, deprecated formats
            | '\u{3164}'                    // Hangul filler
            | '\u{FEFF}'                    // BOM, zero-width no-break space
            | '\u{FFA0}'                    // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotations
            | '\u{1D173}'..='\u{1D17A}'     // musical formatting
            | '\u{E0000}'..='\u{E007F}'     // tags
        )
}

/// Symbols outside the letters and digits of any script, such as emoji (for joiners between them).
fn pictographic(c: char) -> bool {
    c as u32 >= 0x2000 && !c.is_alphanumeric() && !c.is_whitespace() && !is_hidden(c)
}

/// The first hidden character of `value` (see [`is_hidden`]), if any.
pub fn find_hidden(value: &str) -> Option<char> {
    let chars: Vec<char> = value.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        // A zero-width joiner inside an emoji sequence (🏃‍♂️) is how the emoji is written, not a hidden character.
        let in_emoji = c == '\u{200D}'
            && i > 0
            && pictographic(chars[i - 1])
            && chars.get(i + 1).is_some_and(|&n| pictographic(n));
        (is_hidden(c) && !in_emoji).then_some(c)
    })
}

/// Why `value` is not acceptable display text of 1 to `max_chars` characters (after trimming), if it is not.
pub fn display_text_problem(value: &str, max_chars: usize) -> Option<String> {
    let n = value.trim().chars().count();
    if n == 0 || n > max_chars {
        return Some(format!("must be 1 to {max_chars} characters"));
    }
    find_hidden(value).map(|c| {
        format!(
            "must not contain control or invisible formatting characters (found U+{:04X})",
            c as u32
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in [
            "alice\u{200b}",
            "\u{feff}alice",
            "a\u{202e}ecila",
            "a\u{2066}b",
            "x\u{3164}",
            "tab\there",
            "a\u{e0041}",
            "nl\n",
            "ab\u{200d}c",
            "🏃\u{200d}",
        ] {
            assert!(display_text_problem(bad, 32).is_some(), "{bad:?}");
        }
        for good in ["alice", "小明", "跑步 🏃‍♂️", "Zoë", "❤️", "王 小 明"] {
            assert_eq!(display_text_problem(good, 32), None, "{good:?}");
        }
        assert!(display_text_problem("   ", 32).is_some());
        assert!(display_text_problem(&"长".repeat(33), 32).is_some());
    }
}
