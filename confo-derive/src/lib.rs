//! Placeholder: the derive arrives with issue 4.
