//! Property tests: no name the validators accept can escape the file
//! backend's root or form a different znode path.

use std::path::{Component, Path};

use confo::{ConfigName, ConfigPath, Namespace};
use proptest::prelude::*;

/// Strings rich in the characters that matter: separators, dots, NUL,
/// control characters, and some ordinary and non-ASCII letters.
fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "/",
        ".",
        "..",
        "\0",
        "\n",
        "\\",
        "a",
        "Z",
        "-",
        "_",
        " ",
        "é",
        "😀",
        "zookeeper",
        "confo",
        "%2F",
        "\u{7f}",
        "\u{202e}",
        ":",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![tricky(), any::<String>(), "[a-z./]{0,6}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn accepted_names_stay_inside_the_file_root(ns in any_name(), name in any_name()) {
        if let (Ok(ns), Ok(name)) = (Namespace::new(&ns), ConfigName::new(&name)) {
            let root = Path::new("/srv/confo");
            let file = root.join(ns.as_str()).join(format!("{name}.json"));
            let rel = file.strip_prefix(root).expect("joined under the root");
            let parts: Vec<Component> = rel.components().collect();
            prop_assert_eq!(parts.len(), 2, "{:?} has other than two levels", rel);
            for part in parts {
                prop_assert!(matches!(part, Component::Normal(_)), "{:?} in {:?}", part, rel);
            }
        }
    }

    #[test]
    fn accepted_names_form_exactly_their_own_znode(ns in any_name(), name in any_name()) {
        if let (Ok(ns), Ok(name)) = (Namespace::new(&ns), ConfigName::new(&name)) {
            let path = ConfigPath::new(ns.clone(), name.clone());
            let znode = path.znode();
            let segments: Vec<&str> = znode.split('/').collect();
            prop_assert_eq!(segments, vec!["", "confo", ns.as_str(), name.as_str()]);
            // And the text form parses back to the same path.
            let back: ConfigPath = path.to_string().parse().unwrap();
            prop_assert_eq!(back, path);
        }
    }

    #[test]
    fn validation_never_panics_and_rejections_quote_the_name(name in any_name()) {
        match Namespace::new(&name) {
            Ok(ns) => prop_assert_eq!(ns.as_str(), name.as_str()),
            Err(e) => {
                let quoted = format!("{name:?}");
                prop_assert!(e.to_string().contains(&quoted));
            }
        }
    }
}
