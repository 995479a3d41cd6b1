//! `/api/v1/org/factors/yubikey_token/tokens`: upload, list (JSON or CSV), get, delete.

use super::{json_body, path_or_404, store};
use crate::error::ApiError;
use crate::faults::Failure;
use crate::fields::{AesKey, FieldError, PrivateId, PublicId, SerialNumber};
use crate::pagination::{ListParams, SHAPING_PARAMS};
use crate::server::ConnControl;
use crate::state::{self, NewToken, StoreError};
use crate::wire::{Token, TOKENS_PATH};
use crate::{views, Shared};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;
use std::sync::Arc;

/// Parses one field with its seed-file parser. Absent or null counts as empty (so the parser says
/// "is empty"); a non-string is its own cause. Causes never echo the value.
fn field<T>(
    obj: &serde_json::Map<String, Value>,
    name: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    causes: &mut Vec<String>,
) -> Option<T> {
    let raw = match obj.get(name) {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s,
        Some(_) => {
            causes.push(format!("{name}: must be a string"));
            return None;
        }
    };
    parse(raw).map_err(|e| causes.push(format!("{name}: {e}"))).ok()
}

/// `POST .../tokens`.
pub async fn upload(
    State(shared): State<Arc<Shared>>,
    control: Option<Extension<ConnControl>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Token>, ApiError> {
    let value = json_body(body)?;
    let obj = value.as_object().ok_or_else(ApiError::malformed_body)?;
    let mut causes = Vec::new();
    let fields = (
        field(obj, "serialNumber", SerialNumber::parse, &mut causes),
        field(obj, "publicId", PublicId::parse, &mut causes),
        field(obj, "privateId", PrivateId::parse, &mut causes),
        field(obj, "aesKey", AesKey::parse, &mut causes),
    );
    let (Some(serial), Some(public_id), Some(private_id), Some(aes_key)) = fields else {
        if let Some(serial) = fields.0 {
            shared.recorder.upload(&serial.padded(), false);
        }
        return Err(ApiError::validation(causes));
    };
    let padded = serial.padded();
    if let Some(failure) = shared.faults.take_serial_failure(&padded) {
        shared.recorder.serial_failure(&padded);
        return Err(match failure {
            Failure::Internal => ApiError::internal(),
            Failure::Unavailable => ApiError::unavailable(),
        });
    }
    if shared.quirks.echo_errors {
        shared.recorder.upload(&padded, false);
        return Err(ApiError::validation(echoed(obj)));
    }
    let new = NewToken {
        serial,
        public_id,
        private_id,
        aes_key,
    };
    let result = store(&shared)
        .insert(new, state::now())
        .map(|t| views::token(&shared.base_url, t, None));
    shared.recorder.upload(&padded, result.is_ok());
    let token = result.map_err(|e| match e {
        StoreError::Duplicate(causes) => ApiError::validation(causes),
        _ => ApiError::internal(),
    })?;
    drop_if_rolled(&shared, control).await;
    Ok(Json(token))
}

/// The `echo-errors` quirk's causes: the request's secrets, as a careless server quotes them, with
/// an ANSI escape and a right-to-left override around them.
fn echoed(obj: &serde_json::Map<String, Value>) -> Vec<String> {
    ["aesKey", "privateId"]
        .iter()
        .map(|name| {
            let raw = obj.get(*name).and_then(Value::as_str).unwrap_or_default();
            format!(
                "{name} \u{1b}[31m{}\u{202E}{raw} is invalid\u{1b}[0m",
                raw.to_uppercase()
            )
        })
        .collect()
}

/// `GET .../tokens` (JSON, or CSV with `forDownload=true`).
pub async fn list(State(shared): State<Arc<Shared>>, uri: Uri) -> Result<Response, ApiError> {
    let params = ListParams::parse_capped(uri.query(), shared.max_page_size, shared.quirks.limit_max_200)?;
    let (body, next) = {
        let store = store(&shared);
        let (items, next) = params.page(&store);
        let body = if params.for_download {
            Body::Csv(super::export::csv_page(&store, &items, shared.quirks.csv)?)
        } else {
            Body::Json(
                items
                    .iter()
                    .map(|t| {
                        let user = t
                            .user_id
                            .as_deref()
                            .filter(|_| params.expand_user)
                            .and_then(|u| store.user(u));
                        views::token(&shared.base_url, t, user)
                    })
                    .collect::<Vec<_>>(),
            )
        };
        (body, next)
    };
    let mut headers = HeaderMap::new();
    let self_url = match uri.query() {
        Some(q) => format!("{}{TOKENS_PATH}?{q}", shared.base_url),
        None => format!("{}{TOKENS_PATH}", shared.base_url),
    };
    add_link(&mut headers, &self_url, "self");
    if let Some(cursor) = next {
        let query = if shared.quirks.next_drops_params {
            params.next_query_without(&cursor, &SHAPING_PARAMS)
        } else {
            params.next_query(&cursor)
        };
        let next_url = format!("{}{TOKENS_PATH}?{query}", shared.base_url);
        add_link(&mut headers, &next_url, "next");
    }
    Ok(match body {
        Body::Json(items) => (headers, Json(items)).into_response(),
        Body::Csv(text) => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"yubikey_tokens.csv\""),
            );
            (headers, text).into_response()
        }
    })
}

enum Body {
    Json(Vec<Token>),
    Csv(String),
}

fn add_link(headers: &mut HeaderMap, url: &str, rel: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\"")) {
        headers.append(header::LINK, v);
    }
}

/// `GET .../tokens/{id}` (`expand=user` honoured too).
pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Json<Token>, ApiError> {
    let id = path_or_404(path)?;
    let expand = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "expand=user"));
    let store = store(&shared);
    let t = store
        .get(&id)
        .ok_or_else(|| ApiError::not_found(&format!("{id} (YubikeyToken)")))?;
    let user = t
        .user_id
        .as_deref()
        .filter(|_| expand)
        .and_then(|u| store.user(u));
    Ok(Json(views::token(&shared.base_url, t, user)))
}

/// `DELETE .../tokens/{id}`: 204, or 403 `E0000102` while assigned. Like an upload, a delete may
/// be committed and its answer lost (`--drop-after-commit-rate`).
pub async fn delete_one(
    State(shared): State<Arc<Shared>>,
    control: Option<Extension<ConnControl>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_or_404(path)?;
    let q = &shared.quirks;
    let result = store(&shared).delete_with(&id, q.soft_delete, q.delete_assigned_refused, state::now());
    match result {
        Ok(()) => {
            drop_if_rolled(&shared, control).await;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::TokenAssigned) => Err(ApiError::yubikey_assigned()),
        Err(_) => Err(ApiError::not_found(&format!("{id} (YubikeyToken)"))),
    }
}

/// After a committed write: with the drop rate's odds, vanish without a word, as a crashed proxy
/// or a cut link would.
pub(super) async fn drop_if_rolled(shared: &Shared, control: Option<Extension<ConnControl>>) {
    if shared.faults.roll_drop() {
        if let Some(Extension(control)) = control {
            control.kill();
            std::future::pending::<()>().await;
        }
    }
}
