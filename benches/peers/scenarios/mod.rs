//! The scenarios, one file each (2 and 7 share one: the same loads at other
//! sizes; 0 is decoding alone, no I/O; 10 is fan-out to many processes).

mod bulk;
mod checked_write;
mod decode;
mod fan_out;
mod hot_read;
mod load_all;
mod load_one;
mod memory;
mod namespace;
mod propagation;

pub(crate) use bulk::*;
pub(crate) use checked_write::*;
pub(crate) use decode::*;
pub(crate) use fan_out::*;
pub(crate) use hot_read::*;
pub(crate) use load_all::*;
pub(crate) use load_one::*;
pub(crate) use memory::*;
pub(crate) use namespace::*;
pub(crate) use propagation::*;
