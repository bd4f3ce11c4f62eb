//! Case conversions: the default configuration name and serde's `rename_all`.

/// `DatabaseConfig` -> `database_config`, `HTTPServer` -> `http_server`.
pub(crate) fn snake_case(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// serde's `rename_all` rules, applied to a field name the way serde does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    pub(crate) fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    /// Same as serde_derive's `RenameRule::apply_to_field`.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Pascal => {
                let mut pascal = String::new();
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            Self::Camel => {
                let pascal = Self::Pascal.apply_to_field(field);
                let mut chars = pascal.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => pascal,
                }
            }
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_struct_names() {
        assert_eq!(snake_case("Database"), "database");
        assert_eq!(snake_case("SmtpSettings"), "smtp_settings");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("Email2Config"), "email2_config");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn rename_rules_match_serde() {
        let f = "smtp_server";
        assert_eq!(RenameRule::Camel.apply_to_field(f), "smtpServer");
        assert_eq!(RenameRule::Pascal.apply_to_field(f), "SmtpServer");
        assert_eq!(RenameRule::ScreamingKebab.apply_to_field(f), "SMTP-SERVER");
        assert_eq!(RenameRule::Kebab.apply_to_field(f), "smtp-server");
        assert_eq!(RenameRule::Upper.apply_to_field(f), "SMTP_SERVER");
    }
}
