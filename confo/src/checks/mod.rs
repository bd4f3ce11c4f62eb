//! Checked writes: every write through a [`Store`](crate::Store) is
//! validated against the schemas the services reading the configuration
//! published, before the compare-and-set write, in the same atomic step.

use std::fmt;

/// One rule a value breaks, and the service whose published schema has it:
/// what [`Error::SchemaRefused`](crate::Error::SchemaRefused) lists.
///
/// ```
/// let v = confo::ServiceViolation {
///     service: "billing".into(),
///     path: "port".into(),
///     rule: "expected u16, found a string".into(),
/// };
/// assert_eq!(v.to_string(), "port: expected u16, found a string (billing)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceViolation {
    /// The service that published the schema.
    pub service: String,
    /// Where in the value, as decode errors name it (`port`,
    /// `replicas[1].host`); empty for the value as a whole.
    pub path: String,
    /// The rule, never quoting the value (it may be a secret).
    pub rule: String,
}

impl fmt::Display for ServiceViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({})", self.rule, self.service)
        } else {
            write!(f, "{}: {} ({})", self.path, self.rule, self.service)
        }
    }
}
