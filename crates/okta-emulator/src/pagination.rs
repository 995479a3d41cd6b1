//! The token list's query: `limit`, opaque `after` cursors, `sortBy`/`sortOrder`, `filter`,
//! `expand`, `forDownload`; choosing one page from the store; and the `Link` headers.
//!
//! A cursor names the last item of the previous page by its sort key and insertion sequence, so
//! pages stay stable while tokens are added or deleted between requests.

use super::attr::{TokenAttr, TokenAttrs};
use super::error::ApiError;
use super::filter::Expr;
use super::state::{Store, StoredToken};
use std::cmp::Ordering;

/// JSON pages default to 20 items (Okta).
pub const DEFAULT_LIMIT: u32 = 20;
/// CSV pages default to 1000 items (Okta) and may go that high.
pub const DOWNLOAD_LIMIT: u32 = 1000;
/// The spec's `maximum` for `limit`, enforced only under the `limit-max-200` quirk.
pub const SPEC_MAX_LIMIT: u32 = 200;
/// The parameters that shape a listing: `next-drops-params` leaves them out of `next`, and one
/// sent twice is refused (400 `E0000037`), so a client must add each back only when absent.
pub const SHAPING_PARAMS: [&str; 4] = ["expand", "filter", "forDownload", "limit"];

/// Where the previous page ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    key: String,
    seq: u64,
}

impl Cursor {
    /// Opaque text: hex of `seq:key`, so clients are not tempted to build their own.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}:{}", self.seq, self.key))
    }

    fn decode(s: &str) -> Option<Cursor> {
        let raw = String::from_utf8(hex::decode(s).ok()?).ok()?;
        let (seq, key) = raw.split_once(':')?;
        Some(Cursor {
            key: key.to_string(),
            seq: seq.parse().ok()?,
        })
    }
}

/// The parsed query of `GET .../tokens`.
#[derive(Debug)]
pub struct ListParams {
    /// Page size after defaults and clamping.
    pub limit: usize,
    /// Start after this item.
    pub after: Option<Cursor>,
    /// Filter, if any.
    pub filter: Option<Expr>,
    /// Sort attribute; `None` = upload order.
    pub sort_by: Option<TokenAttr>,
    /// `sortOrder=DESC`.
    pub descending: bool,
    /// `expand=user`.
    pub expand_user: bool,
    /// `forDownload=true`.
    pub for_download: bool,
    /// The query pairs as received, to rebuild `next`.
    pub pairs: Vec<(String, String)>,
}

impl ListParams {
    /// Parses the query string; `max_page` caps JSON pages (Okta: 200), and a larger `limit` is
    /// clamped.
    pub fn parse(query: Option<&str>, max_page: u32) -> Result<ListParams, ApiError> {
        Self::parse_capped(query, max_page, false)
    }

    /// As [`ListParams::parse`]; with `refuse_over_max` (the `limit-max-200` quirk) a `limit`
    /// above [`SPEC_MAX_LIMIT`] is refused instead, for the export too.
    pub fn parse_capped(
        query: Option<&str>,
        max_page: u32,
        refuse_over_max: bool,
    ) -> Result<ListParams, ApiError> {
        let pairs = parse_query(query.unwrap_or(""))
            .ok_or_else(|| ApiError::validation(vec!["query: the query string is not valid".into()]))?;
        if let Some(twice) = SHAPING_PARAMS
            .iter()
            .find(|name| pairs.iter().filter(|(k, _)| k == *name).count() > 1)
        {
            return Err(ApiError::type_mismatch(format!("{twice}: sent more than once")));
        }
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        // Every bad parameter is named at once, as Okta lists each in `errorCauses`.
        let mut causes = Vec::new();
        let for_download = for_download(get("forDownload"), &mut causes);
        let limit = limit(get("limit"), for_download, max_page, &mut causes);
        if refuse_over_max && get("limit").and_then(|l| l.trim().parse::<u32>().ok()) > Some(SPEC_MAX_LIMIT) {
            // Okta names the parameter as the cause: "Api validation failed: limit".
            causes.insert(0, "limit".to_string());
        }
        let after = after(get("after"), &mut causes);
        let sort_by = sort_by(get("sortBy"), &mut causes);
        let descending = descending(get("sortOrder"), &mut causes);
        if !causes.is_empty() {
            return Err(ApiError::validation(causes));
        }
        let filter = match get("filter") {
            None => None,
            Some(f) => Some(Expr::parse(f).map_err(|e| ApiError::bad_filter(format!("filter: {e}")))?),
        };
        Ok(ListParams {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            after,
            filter,
            sort_by,
            descending,
            expand_user: get("expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "user")),
            for_download,
            pairs,
        })
    }

    fn matches(&self, t: &StoredToken) -> bool {
        self.filter.as_ref().map_or(true, |f| f.matches(t))
    }

    /// One page and the cursor for the next one (`None` at the end).
    pub fn page<'s>(&self, store: &'s Store) -> (Vec<&'s StoredToken>, Option<Cursor>) {
        // Fast path: a filter that pins the serial needs one index lookup, whatever the size; it
        // finds the serial's history (soft-deleted records) too, as a listing would.
        if let Some(serial) = self.filter.as_ref().and_then(|f| f.required_serial()) {
            let items: Vec<_> = store
                .records_of_serial(serial)
                .into_iter()
                .filter(|t| self.matches(t) && self.after_cursor(t))
                .collect();
            return (items, None);
        }
        let mut items: Vec<&StoredToken> = match self.sort_by {
            None => {
                let after = self.after.as_ref().map(|c| c.seq);
                let take = self.limit.saturating_add(1);
                if self.descending {
                    store
                        .iter_before(after)
                        .filter(|t| self.matches(t))
                        .take(take)
                        .collect()
                } else {
                    store
                        .iter_after(after)
                        .filter(|t| self.matches(t))
                        .take(take)
                        .collect()
                }
            }
            Some(by) => {
                let mut all: Vec<(String, &StoredToken)> = store
                    .all()
                    .filter(|t| self.matches(t))
                    .map(|t| (sort_key(by, t), t))
                    .collect();
                all.sort_by(|a, b| self.order(&a.0, a.1.seq, &b.0, b.1.seq));
                let start = match &self.after {
                    None => 0,
                    Some(c) => {
                        all.partition_point(|(k, t)| self.order(k, t.seq, &c.key, c.seq) != Ordering::Greater)
                    }
                };
                all.into_iter()
                    .skip(start)
                    .take(self.limit.saturating_add(1))
                    .map(|(_, t)| t)
                    .collect()
            }
        };
        let next = if items.len() > self.limit {
            items.truncate(self.limit);
            items.last().map(|t| Cursor {
                key: self.sort_by.map(|by| sort_key(by, t)).unwrap_or_default(),
                seq: t.seq,
            })
        } else {
            None
        };
        (items, next)
    }

    fn after_cursor(&self, t: &StoredToken) -> bool {
        match (&self.after, self.sort_by) {
            (None, _) => true,
            (Some(c), Some(by)) => self.order(&sort_key(by, t), t.seq, &c.key, c.seq) == Ordering::Greater,
            (Some(c), None) => self.order("", t.seq, "", c.seq) == Ordering::Greater,
        }
    }

    fn order(&self, ka: &str, sa: u64, kb: &str, sb: u64) -> Ordering {
        let o = ka.cmp(kb).then(sa.cmp(&sb));
        if self.descending {
            o.reverse()
        } else {
            o
        }
    }

    /// The query string for the next page: the same parameters with `after` replaced.
    pub fn next_query(&self, cursor: &Cursor) -> String {
        self.next_query_without(cursor, &[])
    }

    /// As [`ListParams::next_query`], leaving out the parameters named in `dropped` (the
    /// `next-drops-params` quirk drops [`SHAPING_PARAMS`]).
    pub fn next_query_without(&self, cursor: &Cursor, dropped: &[&str]) -> String {
        let mut out: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "after" && !dropped.contains(&k.as_str()))
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        out.push(format!("after={}", cursor.encode()));
        out.join("&")
    }
}

/// `forDownload`: `true` or `false`, any case; absent is `false`.
fn for_download(value: Option<&str>, causes: &mut Vec<String>) -> bool {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            causes.push("forDownload: must be true or false".to_string());
            false
        }
    }
}

/// `limit`: a positive integer, clamped to the page cap; the default depends on the format.
fn limit(value: Option<&str>, for_download: bool, max_page: u32, causes: &mut Vec<String>) -> u32 {
    let (default, max) = if for_download {
        (DOWNLOAD_LIMIT, DOWNLOAD_LIMIT.max(max_page))
    } else {
        (DEFAULT_LIMIT, max_page)
    };
    match value.map(|l| l.trim().parse::<u32>()) {
        None => default,
        // Okta clamps over-large limits rather than refusing them.
        Some(Ok(n)) if n > 0 => n.min(max),
        Some(_) => {
            causes.push("limit: must be a positive integer".to_string());
            default
        }
    }
}

/// `after`: a cursor this server issued; empty is none.
fn after(value: Option<&str>, causes: &mut Vec<String>) -> Option<Cursor> {
    match value {
        None | Some("") => None,
        Some(a) => {
            let c = Cursor::decode(a);
            if c.is_none() {
                causes.push("after: not a cursor this server issued".to_string());
            }
            c
        }
    }
}

/// `sortBy`: one of the token attributes; empty is upload order.
fn sort_by(value: Option<&str>, causes: &mut Vec<String>) -> Option<TokenAttr> {
    match value {
        None | Some("") => None,
        Some(s) => {
            let parsed = TokenAttr::parse(s);
            if parsed.is_none() {
                causes.push(format!("sortBy: unsupported attribute {s}"));
            }
            parsed
        }
    }
}

/// `sortOrder`: `ASC` or `DESC`, any case; absent or empty is ascending.
fn descending(value: Option<&str>, causes: &mut Vec<String>) -> bool {
    match value.map(str::to_ascii_uppercase).as_deref() {
        None | Some("") | Some("ASC") => false,
        Some("DESC") => true,
        Some(_) => {
            causes.push("sortOrder: must be ASC or DESC".to_string());
            false
        }
    }
}

/// The key `t` sorts by under `sortBy=by` (cursors carry it too).
fn sort_key(by: TokenAttr, t: &StoredToken) -> String {
    t.attr(by).sort_key()
}

/// Splits `a=b&c=d`, percent-decoding (and `+` as space); `None` on invalid UTF-8.
fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_clamping_follow_okta() {
        let p = ListParams::parse(None, 200).unwrap();
        assert_eq!(p.limit, 20);
        assert_eq!(ListParams::parse(Some("limit=5000"), 200).unwrap().limit, 200);
        assert_eq!(
            ListParams::parse(Some("forDownload=true"), 200).unwrap().limit,
            1000
        );
        assert!(ListParams::parse(Some("limit=0"), 200).is_err());
        assert!(ListParams::parse(Some("limit=-3"), 200).is_err());
        assert!(ListParams::parse(Some("sortOrder=UP"), 200).is_err());
        assert!(ListParams::parse(Some("after=zz"), 200).is_err());
        assert!(ListParams::parse(Some("sortBy=profile.email"), 200).is_err());
    }

    #[test]
    fn under_limit_max_200_a_larger_limit_is_refused_for_lists_and_exports() {
        for q in ["limit=201", "limit=1000&forDownload=true"] {
            let e = ListParams::parse_capped(Some(q), 200, true).unwrap_err();
            assert_eq!(
                (e.code, e.summary.as_str()),
                ("E0000001", "Api validation failed: limit"),
                "{q}"
            );
        }
        assert_eq!(
            ListParams::parse_capped(Some("limit=200"), 200, true)
                .unwrap()
                .limit,
            200
        );
        let default = ListParams::parse_capped(Some("forDownload=true"), 200, true).unwrap();
        assert_eq!(default.limit, 1000, "the server's own default is not refused");
    }

    #[test]
    fn filter_is_percent_decoded_and_bad_filters_are_e0000031() {
        let p = ListParams::parse(Some("filter=status%20eq%20%22ACTIVE%22"), 200).unwrap();
        assert!(p.filter.is_some());
        let p = ListParams::parse(Some("filter=status+eq+%22ACTIVE%22"), 200).unwrap();
        assert!(p.filter.is_some());
        let e = ListParams::parse(Some("filter=status%20eq"), 200).unwrap_err();
        assert_eq!(e.code, "E0000031");
    }

    #[test]
    fn cursors_round_trip_and_next_query_keeps_other_parameters() {
        let c = Cursor {
            key: "000000000001".into(),
            seq: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let p = ListParams::parse(Some("limit=2&filter=status%20eq%20%22ACTIVE%22&after=old"), 200);
        assert!(p.is_err(), "a foreign cursor is refused");
        let p = ListParams::parse(Some("limit=2&filter=status%20eq%20%22ACTIVE%22"), 200).unwrap();
        assert_eq!(
            p.next_query(&c),
            format!("limit=2&filter=status%20eq%20%22ACTIVE%22&after={}", c.encode())
        );
        let p = ListParams::parse(Some("limit=2&expand=user&sortBy=created&forDownload=true"), 200).unwrap();
        assert_eq!(
            p.next_query_without(&c, &SHAPING_PARAMS),
            format!("sortBy=created&after={}", c.encode())
        );
    }

    #[test]
    fn a_shaping_parameter_sent_twice_is_a_type_mismatch() {
        for twice in [
            "expand=user&expand=user",
            "limit=2&limit=2",
            "forDownload=true&forDownload=true",
        ] {
            let e = ListParams::parse(Some(twice), 200).unwrap_err();
            assert_eq!(e.code, "E0000037", "{twice}");
        }
        assert!(ListParams::parse(Some("expand=user&limit=2"), 200).is_ok());
    }
}
