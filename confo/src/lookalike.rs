//! Look-alike names: two names that differ only by Unicode normalization
//! (NFC `é` against NFD `e` + `◌́`, compatibility forms such as `ﬁ`),
//! invisible characters (zero-width space, joiners, BOM, bidirectional
//! controls) or letters that look like Latin ones (Cyrillic `а`, Greek `ο`)
//! are distinct configurations to confo, but one to the eye.
//!
//! confo keeps them distinct (names are compared byte for byte, as
//! ZooKeeper and the file system do) and `confo put`/`set`/`import` warn
//! when a new name looks like an existing one.
//!
//! ```
//! use confo::lookalike::looks_like;
//!
//! let existing = ["database", "cache"];
//! assert_eq!(looks_like("data\u{200b}base", existing), Some("database"));
//! assert_eq!(looks_like("dаtabase", existing), Some("database")); // Cyrillic а
//! assert_eq!(looks_like("database", existing), None); // the same name
//! assert_eq!(looks_like("queue", existing), None);
//! ```

use unicode_normalization::UnicodeNormalization;

/// The form two look-alike names share: NFKC, without invisible or
/// bidirectional characters, with common Cyrillic and Greek look-alikes of
/// Latin letters replaced by those letters.
///
/// ```
/// use confo::lookalike::skeleton;
/// assert_eq!(skeleton("Cafe\u{301}"), skeleton("Café"));
/// ```
pub fn skeleton(name: &str) -> String {
    name.nfkc()
        .filter(|c| !crate::terminal_safe::is_unsafe(*c) && !is_invisible(*c))
        .map(latin_look_alike)
        .collect()
}

/// The first of `existing` that differs from `name` but looks like it.
///
/// ```
/// let found = confo::lookalike::looks_like("ns\u{202e}", ["ns"]);
/// assert_eq!(found, Some("ns"));
/// ```
pub fn looks_like<'a, I>(name: &str, existing: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let shape = skeleton(name);
    existing
        .into_iter()
        .find(|other| *other != name && skeleton(other) == shape)
}

/// Characters that draw nothing (beyond those [`crate::terminal_safe`] escapes).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180e}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{ffa0}'
    )
}

fn latin_look_alike(c: char) -> char {
    match c {
        // Cyrillic
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'І' => 'I',
        'Ј' => 'J',
        'Ѕ' => 'S',
        // Greek
        'ο' => 'o',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_look_alike_is_found() {
        let existing = ["café", "Admin"];
        for name in [
            "cafe\u{301}",       // NFD
            "caf\u{e9}\u{200d}", // zero-width joiner
            "\u{feff}café",      // BOM
            "сafé",              // Cyrillic с
            "Аdmin",             // Cyrillic А
            "Adm\u{202e}in",     // right-to-left override
        ] {
            assert!(looks_like(name, existing).is_some(), "{name:?}");
        }
    }

    #[test]
    fn different_names_are_not_look_alikes() {
        assert_eq!(looks_like("cafe", ["café"]), None);
        assert_eq!(looks_like("admin", ["Admin"]), None);
    }
}
