//! How stored objects look on the wire: tokens (the emulator's own [`Token`]), users and
//! factors, with absolute `_links` built from the emulator's base URL.

use super::state::StoredToken;
use super::users::User;
use super::wire::{okta_time, Link, Token, TokenProfile, TokenStatus, TOKENS_PATH};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn link(href: String, allow: &[&str]) -> Link {
    Link::new(href, allow)
}

/// The token as Okta returns it; `user` is embedded for `expand=user` when assigned.
pub fn token(base: &str, t: &StoredToken, user: Option<&User>) -> Token {
    let mut links = BTreeMap::new();
    let self_href = format!("{base}{TOKENS_PATH}/{}", t.id);
    // An assigned token cannot be deleted (E0000102), so `self` stops advertising DELETE.
    let allow: &[&str] = if t.status == TokenStatus::Active {
        &["GET"]
    } else {
        &["GET", "DELETE"]
    };
    links.insert("self".to_string(), link(self_href, allow));
    if let Some(uid) = &t.user_id {
        links.insert(
            "user".to_string(),
            link(format!("{base}/api/v1/users/{uid}"), &["GET"]),
        );
        if let Some(fid) = &t.factor_id {
            links.insert(
                "deactivate".to_string(),
                link(format!("{base}/api/v1/users/{uid}/factors/{fid}"), &["DELETE"]),
            );
        }
    }
    Token {
        id: t.id.clone(),
        created: t.created,
        activated: t.activated,
        last_verified: t.last_verified,
        last_updated: t.last_updated,
        status: t.status,
        profile: TokenProfile {
            serial: t.serial.clone(),
        },
        embedded: user.map(|u| json!({ "user": self::user(base, u) })),
        links,
    }
}

/// A user, with the fields Okta SDKs expect to find.
pub fn user(base: &str, u: &User) -> Value {
    let created = okta_time::format(&u.created);
    let changed = okta_time::format(&u.status_changed);
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": created,
        "activated": created,
        "statusChanged": changed,
        "lastLogin": null,
        "lastUpdated": changed,
        "passwordChanged": null,
        "type": { "id": "oty00000000000000000" },
        "profile": {
            "firstName": u.first_name,
            "lastName": u.last_name,
            "email": u.login,
            "login": u.login,
            "mobilePhone": null,
        },
        "credentials": { "provider": { "type": "OKTA", "name": "OKTA" } },
        "_links": { "self": { "href": format!("{base}/api/v1/users/{}", u.id) } },
    })
}

/// The user's `token:hardware` factor for an enrolled token.
pub fn factor(base: &str, t: &StoredToken) -> Value {
    let uid = t.user_id.as_deref().unwrap_or_default();
    let fid = t.factor_id.as_deref().unwrap_or_default();
    let created = okta_time::format(&t.factor_created.unwrap_or(t.last_updated));
    let href = format!("{base}/api/v1/users/{uid}/factors/{fid}");
    json!({
        "id": fid,
        "factorType": "token:hardware",
        "provider": "YUBICO",
        "vendorName": "YUBICO",
        "status": "ACTIVE",
        "created": created,
        "lastUpdated": okta_time::format(&t.last_updated),
        "profile": { "credentialId": t.serial },
        "_links": {
            "verify": { "href": format!("{href}/verify"), "hints": { "allow": ["POST"] } },
            "self": { "href": href, "hints": { "allow": ["GET", "DELETE"] } },
            "user": { "href": format!("{base}/api/v1/users/{uid}"), "hints": { "allow": ["GET"] } },
        },
    })
}
