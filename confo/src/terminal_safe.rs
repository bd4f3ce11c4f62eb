//! Text made safe for a terminal: what confo prints for people (names,
//! keys, messages) can hold characters from a stored tree, and a key like
//! `"\u{1b}]0;pwned\u{7}"` or a right-to-left override must not reach the
//! terminal as it is. Control characters (C0, DEL, C1) and the invisible or
//! reordering format characters (zero-width, bidirectional overrides and
//! isolates, BOM) are shown as `\u{..}` escapes.
//!
//! JSON output (`--json`, `get`) is not passed through here: serde_json
//! already escapes control characters, and the data stays exact.
//!
//! ```
//! use confo::terminal_safe::escape;
//!
//! assert_eq!(escape("port"), "port");
//! assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
//! assert_eq!(escape("evil\u{202e}txt.json"), "evil\\u{202e}txt.json");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every unsafe character escaped, newlines included: for one
/// name or key on a line.
///
/// ```
/// assert_eq!(confo::terminal_safe::escape("a\nb"), "a\\u{a}b");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// `text` with every unsafe character escaped except line breaks: for a
/// message of several lines.
///
/// ```
/// let shown = confo::terminal_safe::escape_lines("error: x\n  key \u{7}");
/// assert_eq!(shown, "error: x\n  key \\u{7}");
/// ```
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

/// True for characters that a terminal acts on or hides: control
/// characters and invisible or reordering format characters.
///
/// ```
/// assert!(confo::terminal_safe::is_unsafe('\u{200b}'));
/// assert!(!confo::terminal_safe::is_unsafe('é'));
/// ```
pub fn is_unsafe(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

fn escape_with(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |ch: char| !is_unsafe(ch) || (keep_newlines && ch == '\n');
    if text.chars().all(keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if keep(ch) {
            out.push(ch);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", ch as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_c0_c1_and_del_character_is_escaped() {
        for code in (0u32..0x20).chain(0x7f..0xa0) {
            let ch = char::from_u32(code).unwrap();
            let shown = escape(&format!("k{ch}k")).into_owned();
            assert!(!shown.contains(ch), "{code:#x}");
            assert_eq!(shown, format!("k\\u{{{code:x}}}k"));
        }
    }

    #[test]
    fn ordinary_text_is_not_copied() {
        assert!(matches!(
            escape("systemA/database (port, host)"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(escape_lines("héllo\nwörld"), Cow::Borrowed(_)));
    }
}
