//! `/api/v1/users/{id}`: the user, YubiKey enrollment (`token:hardware`), factors, deactivation.

use super::{json_body, path_or_404, store};
use crate::error::ApiError;
use crate::otp::OtpError;
use crate::server::ConnControl;
use crate::state::{self, StoreError};
use crate::{views, Shared};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::sync::Arc;

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(what) => ApiError::not_found(&what),
        StoreError::Invalid(cause) => ApiError::validation(vec![cause]),
        StoreError::Duplicate(causes) => ApiError::validation(causes),
        StoreError::TokenAssigned => ApiError::yubikey_assigned(),
        StoreError::Otp(OtpError::Replayed) => ApiError::passcode_reused(),
        StoreError::Otp(e) => ApiError::invalid_passcode(format!("passCode: {e}")),
    }
}

/// The login of the admin the emulator's one API token belongs to.
const ADMIN_LOGIN: &str = "admin@emulator.example";

/// `GET /api/v1/users/me`: the admin behind the API token. The emulator has one token, so one
/// fixed admin, kept apart from the users keys are enrolled to.
pub async fn me(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let id = "00uemulatoradmin0001";
    Json(json!({
        "id": id,
        "status": "ACTIVE",
        "profile": { "login": ADMIN_LOGIN, "email": ADMIN_LOGIN },
        "_links": { "self": { "href": format!("{}/api/v1/users/{id}", shared.base_url) } },
    }))
}

/// `GET /api/v1/users/{id}`.
pub async fn get_user(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_or_404(path)?;
    let store = store(&shared);
    let user = store
        .user(&id)
        .ok_or_else(|| ApiError::not_found(&format!("{id} (User)")))?;
    Ok(Json(views::user(&shared.base_url, user)))
}

/// `POST /api/v1/users/{id}/factors` with `token:hardware` / `YUBICO` and a real OTP.
pub async fn enroll(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_or_404(path)?;
    let body = json_body(body)?;
    let mut causes = Vec::new();
    if body.get("factorType").and_then(Value::as_str) != Some("token:hardware") {
        causes.push("factorType: only token:hardware is supported by this emulator".to_string());
    }
    if !body
        .get("provider")
        .and_then(Value::as_str)
        .is_some_and(|p| p.eq_ignore_ascii_case("YUBICO"))
    {
        causes.push("provider: must be YUBICO".to_string());
    }
    let pass_code = body.pointer("/verify/passCode").and_then(Value::as_str);
    if pass_code.is_none() {
        causes.push("verify.passCode: is required".to_string());
    }
    let (Some(pass_code), true) = (pass_code, causes.is_empty()) else {
        return Err(ApiError::validation(causes));
    };
    let mut store = store(&shared);
    let token = store
        .enroll(&id, pass_code.trim(), state::now())
        .map_err(store_error)?;
    Ok(Json(views::factor(&shared.base_url, token)))
}

/// `GET /api/v1/users/{id}/factors`.
pub async fn list_factors(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let id = path_or_404(path)?;
    let store = store(&shared);
    let factors = store.factors_of(&id).map_err(store_error)?;
    Ok(Json(
        factors
            .into_iter()
            .map(|t| views::factor(&shared.base_url, t))
            .collect(),
    ))
}

/// `GET /api/v1/users/{id}/factors/{fid}`.
pub async fn get_factor(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let (id, fid) = path_or_404(path)?;
    let store = store(&shared);
    let t = store.factor(&id, &fid).map_err(store_error)?;
    Ok(Json(views::factor(&shared.base_url, t)))
}

/// `DELETE /api/v1/users/{id}/factors/{fid}`: unenroll (reset MFA); the token becomes UNASSIGNED
/// (or REVOKED under `unenroll-revokes`).
pub async fn delete_factor(
    State(shared): State<Arc<Shared>>,
    control: Option<Extension<ConnControl>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (id, fid) = path_or_404(path)?;
    store(&shared)
        .unenroll_with(&id, &fid, shared.quirks.unenroll_revokes, state::now())
        .map_err(store_error)?;
    // Like a token delete, an unenroll may be committed and its answer lost.
    super::tokens::drop_if_rolled(&shared, control).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{id}/lifecycle/deactivate`: the user's tokens become BLOCKED.
pub async fn deactivate(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_or_404(path)?;
    store(&shared)
        .deactivate_user(&id, state::now())
        .map_err(store_error)?;
    Ok(Json(json!({})))
}
