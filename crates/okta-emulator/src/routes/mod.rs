//! The HTTP surface: which handler serves which path, and the Okta-shaped 404 and 405.

mod export;
mod tokens;
mod users;

use super::error::ApiError;
use super::layers;
use super::Shared;
use crate::wire::TOKENS_PATH;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The full router, with every layer, bound to the shared state.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(TOKENS_PATH, get(tokens::list).post(tokens::upload))
        .route(
            &format!("{TOKENS_PATH}/{{id}}"),
            get(tokens::get_one).delete(tokens::delete_one),
        )
        .route("/api/v1/users/me", get(users::me))
        .route("/api/v1/users/{id}", get(users::get_user))
        .route(
            "/api/v1/users/{id}/factors",
            get(users::list_factors).post(users::enroll),
        )
        .route(
            "/api/v1/users/{id}/factors/{fid}",
            get(users::get_factor).delete(users::delete_factor),
        )
        .route("/api/v1/users/{id}/lifecycle/deactivate", post(users::deactivate))
        .route(crate::oauth::proof::TOKEN_PATH, post(oauth_token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), layers::edge))
        .with_state(shared)
}

async fn oauth_token(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    shared.oauth.token_endpoint(&shared.base_url, &headers, &body)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// A path segment that did not decode is a resource that cannot exist.
fn path_or_404<T>(path: Result<axum::extract::Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|p| p.0).map_err(|_| ApiError::not_found("invalid path"))
}

/// The body as JSON, or Okta's "not well-formed" error.
fn json_body(body: Result<Bytes, BytesRejection>) -> Result<serde_json::Value, ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::malformed_body()
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::malformed_body())
}

/// Locks the store. Held only for in-memory work, never across an await (so a std Mutex).
fn store(shared: &Shared) -> std::sync::MutexGuard<'_, super::state::Store> {
    shared
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
