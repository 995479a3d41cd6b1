//! Everything that talks to Okta: the wire models, the client and its typed errors, pacing from
//! the `X-Rate-Limit-*` headers, where the org URL and credential come from, and the read-only
//! probe of an org's contract.

pub mod client;
pub mod config;
pub mod connect;
pub mod error;
pub mod identity;
pub mod inventory;
pub mod models;
pub mod oauth;
pub mod pacing;
pub mod probe;

pub use client::{ClientConfig, OktaClient};
pub use connect::{connect, ConnectSettings};
pub use error::ApiError;
pub use pacing::{bucket_of, Bucket};
