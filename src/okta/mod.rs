//! Everything that talks to Okta: the wire models, the client and its typed errors, pacing from
//! the `X-Rate-Limit-*` headers, and where the org URL and credential come from.

pub mod client;
pub mod config;
pub mod error;
pub mod models;
pub mod oauth;
pub mod pacing;
pub mod show;

pub use client::{Bucket, ClientConfig, OktaClient};
pub use error::ApiError;
