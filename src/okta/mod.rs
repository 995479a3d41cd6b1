//! Everything that talks to Okta: the wire models, and (in later modules) the client, its errors,
//! pacing from `X-Rate-Limit-*` headers, and authentication.

pub mod models;
