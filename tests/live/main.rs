//! Live values on the memory and file backends, and the live example's
//! service loop.

mod live_example;
mod values;
