//! `ykprov demo`: the whole job against the embedded emulator (placeholder while the pieces land).

pub mod rehearse;
