//! The calls on one token by its id: `GET …/tokens/{id}` (to re-check a target before acting on it)
//! and the undocumented `DELETE …/tokens/{id}` (§3 of the contract notes: 204, or 403 `E0000102`
//! while the token is assigned to a user). One paced attempt each, like every client call: the
//! caller owns the retry policy, since a DELETE whose answer was lost must be looked up, not
//! blindly re-sent.

use super::send::request_id;
use super::OktaClient;
use crate::okta::error::ApiError;
use crate::okta::models::YubikeyToken;
use reqwest::Method;

/// Okta's code for "YubiKey cannot be deleted while assigned to an user".
pub const E_TOKEN_ASSIGNED: &str = "E0000102";

/// What a DELETE did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// Okta answered 204: the token is deleted now.
    Now {
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// Okta answered 404: there is no such token (deleted earlier, by us or by someone else).
    AlreadyGone,
}

/// Why a DELETE did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// 403 `E0000102`: the token is assigned to a user; Okta refuses to delete it until the
    /// user's factor is reset. Final: never retried.
    #[error("Okta refused to delete the token: it is assigned to a user (HTTP 403 {E_TOKEN_ASSIGNED}); reset the user's MFA first")]
    Assigned {
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// Any other failure, classified as for every call (wait, look up, refuse, stop).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl OktaClient {
    /// One token by id: `None` when Okta answers 404. Paced on the token path's bucket.
    pub async fn get_token(&self, id: &str) -> Result<Option<YubikeyToken>, ApiError> {
        let answer = self
            .send(Method::GET, self.token_url(id), None, "application/json")
            .await;
        match answer {
            Ok((_, bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ApiError::Protocol {
                    reason: format!("a token that is not a JSON token: {e}"),
                }),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes one token: one attempt, paced on the token path's bucket, the budget every list,
    /// lookup and upload of the run shares.
    pub async fn delete_token(&self, id: &str) -> Result<Deleted, DeleteError> {
        let answer = self
            .send(Method::DELETE, self.token_url(id), None, "application/json")
            .await;
        match answer {
            Ok((map, _)) => Ok(Deleted::Now {
                request_id: request_id(&map),
            }),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(Deleted::AlreadyGone),
            Err(ApiError::Rejected {
                status: 403,
                body,
                request_id,
            }) if body.error_code == E_TOKEN_ASSIGNED => Err(DeleteError::Assigned { request_id }),
            Err(e) => Err(DeleteError::Api(e)),
        }
    }
}
