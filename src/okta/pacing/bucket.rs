//! Which of Okta's rate-limit buckets a request draws on, from its method and path, and the one
//! [`Pacer`] the client keeps for each.
//!
//! Okta counts requests per bucket, one counter whatever the method. The table Okta's Terraform
//! provider generates from Okta's own code (`okta/internal/apimutex/rate_limit_lines.go`, see the
//! contract notes' Addendum) puts every call on the token path (list, get by id, upload, delete)
//! in the `/api/v1` catch-all, which the whole org's uncategorised integrations share. So a run's
//! lists, in-doubt lookups, uploads and deletes must share one budget, and `--share` caps all of
//! them together.

use super::{Pacer, RateSetting};
use reqwest::Method;

/// One of Okta's rate-limit buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `/api/v1`, Okta's catch-all: the whole token path
    /// (`/api/v1/org/factors/yubikey_token/tokens[/{id}]`, every method) and any path without a
    /// bucket of its own.
    ApiV1,
    /// `/api/v1/users` and everything under it (users, their factors, lifecycle). Okta splits a
    /// few user calls finer (`GET /api/v1/users/{id}`, writes to `/api/v1/users/{id}`); ykprov
    /// makes none of them.
    Users,
    /// `/oauth2/v1/token`, the org authorization server's token endpoint.
    OAuthToken,
}

impl Bucket {
    /// Every bucket, in a fixed order (an index into the client's pacers).
    pub const ALL: [Bucket; 3] = [Bucket::ApiV1, Bucket::Users, Bucket::OAuthToken];

    fn index(self) -> usize {
        match self {
            Bucket::ApiV1 => 0,
            Bucket::Users => 1,
            Bucket::OAuthToken => 2,
        }
    }
}

/// The bucket a request draws on. Okta's table is keyed by path and method, but on the paths
/// ykprov calls the method never changes the bucket (the token path's GET, POST and DELETE all
/// map to `/api/v1`); it stays in the signature so a method-specific bucket is one match arm.
pub fn bucket_of(_method: &Method, path: &str) -> Bucket {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if path == "/oauth2/v1/token" {
        Bucket::OAuthToken
    } else if under("/api/v1/users") {
        Bucket::Users
    } else {
        Bucket::ApiV1
    }
}

/// One pacer per bucket. The token path's pacer follows `--rate`/`--share`; the others learn
/// their own limits from their own headers, at the same share.
pub struct Pacers {
    pacers: [Pacer; 3],
}

impl Pacers {
    /// Pacers for a run whose token path goes at `rate`.
    pub fn new(rate: RateSetting) -> Self {
        let others = match rate {
            RateSetting::Auto { share } => RateSetting::Auto { share },
            // A fixed pace is a budget for the token path; elsewhere use Okta's default share.
            RateSetting::PerMinute(_) => RateSetting::DEFAULT,
        };
        Pacers {
            pacers: [Pacer::new(rate), Pacer::new(others), Pacer::new(others)],
        }
    }

    /// The pacer of a bucket.
    pub fn get(&self, bucket: Bucket) -> &Pacer {
        &self.pacers[bucket.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKENS: &str = "/api/v1/org/factors/yubikey_token/tokens";

    #[test]
    fn every_call_on_the_token_path_draws_on_the_api_v1_bucket() {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            assert_eq!(bucket_of(&method, TOKENS), Bucket::ApiV1, "{method} list/upload");
            assert_eq!(
                bucket_of(&method, &format!("{TOKENS}/ykkut4G6ti62DD8Dy0g3")),
                Bucket::ApiV1,
                "{method} by id"
            );
        }
        assert_eq!(
            bucket_of(&Method::GET, &format!("{TOKENS}?limit=200&forDownload=true")),
            Bucket::ApiV1
        );
    }

    #[test]
    fn users_and_the_token_endpoint_have_buckets_of_their_own() {
        assert_eq!(bucket_of(&Method::GET, "/api/v1/users"), Bucket::Users);
        assert_eq!(
            bucket_of(&Method::GET, "/api/v1/users/00u1/factors"),
            Bucket::Users
        );
        assert_eq!(
            bucket_of(&Method::DELETE, "/api/v1/users/00u1/factors/ykf1"),
            Bucket::Users
        );
        assert_eq!(bucket_of(&Method::POST, "/oauth2/v1/token"), Bucket::OAuthToken);
        assert_eq!(bucket_of(&Method::POST, "/oauth2/v1/token/"), Bucket::OAuthToken);
    }

    #[test]
    fn look_alike_and_unknown_paths_fall_in_the_catch_all() {
        assert_eq!(bucket_of(&Method::GET, "/api/v1/usersearch"), Bucket::ApiV1);
        assert_eq!(bucket_of(&Method::GET, "/oauth2/v1/tokens"), Bucket::ApiV1);
        assert_eq!(bucket_of(&Method::GET, "/api/v1/org"), Bucket::ApiV1);
        assert_eq!(bucket_of(&Method::GET, ""), Bucket::ApiV1);
    }

    #[test]
    fn a_fixed_rate_is_the_token_paths_budget_and_other_buckets_learn_theirs() {
        let p = Pacers::new(RateSetting::PerMinute(300));
        assert_eq!(p.get(Bucket::ApiV1).per_minute(), 300.0);
        assert_eq!(p.get(Bucket::Users).per_minute(), 0.0, "learned from headers");
        assert_eq!(p.get(Bucket::OAuthToken).per_minute(), 0.0);
    }
}
