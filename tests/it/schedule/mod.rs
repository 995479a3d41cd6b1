//! Safe to schedule (issue 21): one writer at a time per journal and per org, no false green
//! from an empty or unexpected seed file, and outputs checked before the first request. The
//! emulator's request log is the witness: every assertion is a count.

mod budget;
mod green;
mod locks;
mod plans;
mod share;
