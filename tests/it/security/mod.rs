//! Issue 20, "hostile neighbours": another user of the same host plants files, forges journals,
//! reads core dumps or runs a server that echoes. One file per finding; each test fails on the
//! code before the fix.

mod core_dumps;
mod echo;
mod gpg;
mod journals;
mod key_material;
mod neighbours;
mod network;
mod planted_config;
mod signer;
mod tls;
