//! Listing tokens page by page: the first URL of a JSON listing or CSV export, one page of
//! either, and [`OktaClient::walk`], which follows `Link: rel="next"` on the org's own origin
//! until the end, refusing loops and endless chains, and puts back the request-shaping
//! parameters a `next` link left out ([`with_shaping_params`]).

use super::OktaClient;
use crate::okta::error::ApiError;
use crate::okta::models::YubikeyToken;
use reqwest::header::{HeaderMap, CONTENT_TYPE, LINK};
use reqwest::{Method, Url};
use std::future::Future;

/// The most pages followed in one listing by default; a longer chain is treated as a loop.
pub const MAX_PAGES: usize = 200_000;

/// The query parameters that shape a listing (what it holds and in which form), as opposed to
/// where it resumes (`after`).
pub const SHAPING_PARAMS: [&str; 4] = ["expand", "filter", "forDownload", "limit"];

/// One page of the CSV export as received.
#[derive(Debug)]
pub struct Download {
    /// `Content-Type`, when the server sent one.
    pub content_type: Option<String>,
    /// The body.
    pub text: String,
    /// No `rel="next"` link followed it.
    pub last: bool,
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The items (tokens, or the CSV text of a download page).
    pub items: T,
    /// The `rel="next"` URL, already checked to be on the org's origin.
    pub next: Option<Url>,
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The `rel="next"` target among `Link` headers (one per header, or folded with commas).
pub fn next_link(map: &HeaderMap) -> Option<String> {
    for value in map.get_all(LINK).iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next && target.starts_with('<') && target.ends_with('>') {
                return Some(target[1..target.len() - 1].to_string());
            }
        }
    }
    None
}

/// `next` with every request-shaping parameter of `first` ([`SHAPING_PARAMS`]) that `next`
/// lacks added back, with `first`'s values. Okta does not always echo them in `next`
/// (okta/okta-sdk-nodejs#439: without `expand=user` every later page loses its users), but one
/// sent twice can be refused (400 `E0000037`), so a parameter `next` carries, with whatever value,
/// is left as Okta wrote it.
pub fn with_shaping_params(first: &Url, next: &Url) -> Url {
    let present: Vec<String> = next.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let missing: Vec<(String, String)> = first
        .query_pairs()
        .filter(|(k, _)| SHAPING_PARAMS.contains(&k.as_ref()) && !present.iter().any(|p| p == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = next.clone();
    if !missing.is_empty() {
        url.query_pairs_mut().extend_pairs(missing);
    }
    url
}

impl OktaClient {
    /// The first URL of a JSON listing.
    pub fn list_url(&self, limit: u32, filter: Option<&str>, expand_user: bool) -> Url {
        let mut url = self.tokens_url();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            if let Some(f) = filter {
                q.append_pair("filter", f);
            }
            if expand_user {
                q.append_pair("expand", "user");
            }
        }
        url
    }

    /// The first URL of the CSV export (`forDownload=true`).
    pub fn download_url(&self, limit: u32, filter: Option<&str>, expand_user: bool) -> Url {
        let mut url = self.list_url(limit, filter, expand_user);
        url.query_pairs_mut().append_pair("forDownload", "true");
        url
    }

    /// One page of the JSON listing.
    pub async fn list_page(&self, url: Url) -> Result<Page<Vec<YubikeyToken>>, ApiError> {
        let (map, bytes) = self.send(Method::GET, url, None, "application/json").await?;
        let items: Vec<YubikeyToken> = serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
            reason: format!("token list is not a JSON array of tokens: {e}"),
        })?;
        Ok(Page {
            items,
            next: self.checked_next(&map)?,
        })
    }

    /// One page of the CSV export, as text with its content type (the caller checks both).
    pub async fn download_page(&self, url: Url) -> Result<Page<Download>, ApiError> {
        let (map, bytes) = self.send(Method::GET, url, None, "text/csv, */*").await?;
        let text = String::from_utf8(bytes).map_err(|_| ApiError::Protocol {
            reason: "the CSV export is not UTF-8".into(),
        })?;
        let next = self.checked_next(&map)?;
        let content_type = map
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Page {
            items: Download {
                content_type,
                text,
                last: next.is_none(),
            },
            next,
        })
    }

    fn checked_next(&self, map: &HeaderMap) -> Result<Option<Url>, ApiError> {
        let Some(raw) = next_link(map) else {
            return Ok(None);
        };
        let url = Url::parse(&raw)
            .or_else(|_| self.inner.org.join(&raw))
            .map_err(|_| ApiError::Protocol {
                reason: "unreadable next-page link".into(),
            })?;
        if !same_origin(&url, &self.inner.org) {
            return Err(ApiError::Protocol {
                reason: format!(
                    "the next-page link points to {}, not the org {}; refusing to send the credential there",
                    url.origin().ascii_serialization(),
                    self.inner.org.origin().ascii_serialization()
                ),
            });
        }
        Ok(Some(url))
    }

    /// Follows `Link: rel="next"` from `first` to the end, calling `each` per page. Stops on a
    /// loop (a page pointing at an earlier one) or an endless chain.
    pub async fn walk<T, F, Fut>(
        &self,
        first: Url,
        fetch: F,
        mut each: impl FnMut(T) -> anyhow::Result<()>,
    ) -> anyhow::Result<usize>
    where
        F: Fn(Url) -> Fut,
        Fut: Future<Output = Result<Page<T>, ApiError>>,
    {
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(first.clone());
        let mut pages = 0;
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                anyhow::bail!("the token list's next-page links loop back to a page already read; stopping");
            }
            if pages >= self.inner.max_pages {
                anyhow::bail!(
                    "the token list has more than {} pages (an endless chain of next-page links?); stopping",
                    self.inner.max_pages
                );
            }
            let page = self.read_with_retries(|| fetch(url.clone())).await?;
            pages += 1;
            each(page.items)?;
            next = page.next.map(|n| with_shaping_params(&first, &n));
        }
        Ok(pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use reqwest::header::HeaderValue;

    #[test]
    fn next_link_is_found_in_separate_or_folded_headers() {
        let mut map = HeaderMap::new();
        map.append(
            LINK,
            HeaderValue::from_static("<https://x.okta.com/a?limit=2>; rel=\"self\""),
        );
        map.append(
            LINK,
            HeaderValue::from_static("<https://x.okta.com/a?after=b>; rel=\"next\""),
        );
        assert_eq!(next_link(&map).as_deref(), Some("https://x.okta.com/a?after=b"));
        let mut folded = HeaderMap::new();
        folded.append(
            LINK,
            HeaderValue::from_static("<https://x/a>; rel=\"self\", <https://x/b>; rel=\"next\""),
        );
        assert_eq!(next_link(&folded).as_deref(), Some("https://x/b"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn shaping_params_missing_from_next_are_added_back() {
        let first = url("https://x/t?limit=200&filter=status+eq+%22ACTIVE%22&expand=user&forDownload=true");
        let next = with_shaping_params(&first, &url("https://x/t?after=abc"));
        let pairs: Vec<(String, String)> = next.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        assert_eq!(
            pairs,
            [
                ("after", "abc"),
                ("limit", "200"),
                ("filter", "status eq \"ACTIVE\""),
                ("expand", "user"),
                ("forDownload", "true"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn shaping_params_next_carries_are_never_sent_twice_or_changed() {
        let first = url("https://x/t?limit=200&expand=user");
        // Okta's own value wins, even where it differs from ours: a second copy may be a 400.
        let next = url("https://x/t?limit=100&expand=user&after=abc");
        assert_eq!(with_shaping_params(&first, &next), next);
        let partly = with_shaping_params(&first, &url("https://x/t?limit=100&after=abc"));
        assert_eq!(partly.query(), Some("limit=100&after=abc&expand=user"));
    }

    #[test]
    fn other_parameters_of_the_first_url_are_not_carried_over() {
        let first = url("https://x/t?limit=2&after=old&sortBy=created");
        let next = with_shaping_params(&first, &url("https://x/t?after=new"));
        assert_eq!(next.query(), Some("after=new&limit=2"));
        let bare = url("https://x/t?after=new");
        assert_eq!(with_shaping_params(&url("https://x/t"), &bare), bare);
    }
}
