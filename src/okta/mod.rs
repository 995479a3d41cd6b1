//! Everything that talks to Okta: the wire models, the client and its typed errors, pacing from
//! the `X-Rate-Limit-*` headers, and where the org URL and credential come from.

pub mod client;
pub mod config;
pub mod connect;
pub mod error;
pub mod inventory;
pub mod models;
pub mod oauth;
pub mod pacing;

pub use client::{ClientConfig, OktaClient};
pub use pacing::{bucket_of, Bucket};
pub use connect::{connect, ConnectSettings};
pub use error::ApiError;
