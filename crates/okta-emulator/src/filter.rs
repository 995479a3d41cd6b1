//! Okta's SCIM-like `filter` for the token list: parse once into an [`Expr`], then test tokens.
//!
//! Supported (see docs/emulator.md): `eq` on `profile.serial` (padded or not), `status`,
//! `user.id`; `eq gt ge lt le` on `created`, `activated`, `lastVerified`; `and`, `or`, `not`,
//! parentheses. Operators and keywords are case-insensitive, attribute names are not (as in
//! Okta). Anything else is a [`FilterError`], answered with 400 `E0000031`.

use super::attr::{AttrValue, TokenAttr, TokenAttrs};
use super::fields::SerialNumber;
use super::wire::okta_time;
use chrono::{DateTime, Utc};

/// Why a filter was refused; the text goes into `errorCauses`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A quoted string never ends.
    #[error("unterminated string literal")]
    UnterminatedString,
    /// A character that starts no token.
    #[error("unexpected character at position {0}")]
    UnexpectedChar(usize),
    /// The grammar did not expect this token.
    #[error("unexpected {0}")]
    Unexpected(String),
    /// An attribute this resource cannot be filtered on.
    #[error("unsupported attribute {0}")]
    UnsupportedAttribute(String),
    /// An operator this attribute does not support.
    #[error("operator {op} is not supported for {attr}")]
    UnsupportedOperator {
        /// The attribute.
        attr: String,
        /// The operator as written.
        op: String,
    },
    /// A date that is not `YYYY-MM-DDTHH:mm:ss.SSSZ`.
    #[error("invalid date for {0}; use YYYY-MM-DDTHH:mm:ss.SSSZ")]
    BadDate(String),
    /// Nesting deeper than anyone writes by hand (protects the stack).
    #[error("filter is nested too deeply")]
    TooDeep,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// A comparison's right-hand side, already normalised.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A 12-digit serial, or the raw text when it is not a serial (then nothing matches).
    Serial(String),
    /// A status, uppercased (Okta's keywords are case-insensitive; an unknown one matches nothing).
    Status(String),
    /// A user id.
    Text(String),
    /// A timestamp.
    Time(DateTime<Utc>),
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `attr op value`.
    Cmp(TokenAttr, Op, Value),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `not a`.
    Not(Box<Expr>),
}

impl Expr {
    /// Parses a filter expression.
    pub fn parse(input: &str) -> Result<Expr, FilterError> {
        let tokens = lex(input)?;
        let mut p = Parser { tokens, pos: 0 };
        let expr = p.or_expr(0)?;
        match p.tokens.get(p.pos) {
            None => Ok(expr),
            Some(t) => Err(FilterError::Unexpected(t.describe())),
        }
    }

    /// Whether `t` satisfies the filter.
    pub fn matches(&self, t: &impl TokenAttrs) -> bool {
        match self {
            Expr::And(a, b) => a.matches(t) && b.matches(t),
            Expr::Or(a, b) => a.matches(t) || b.matches(t),
            Expr::Not(a) => !a.matches(t),
            // The parser pairs each attribute with its kind of value and allows only `eq` on
            // non-timestamps, so the value kinds alone decide the comparison.
            Expr::Cmp(attr, op, value) => match (t.attr(*attr), value) {
                (AttrValue::Text(have), Value::Serial(s) | Value::Text(s)) => have == Some(s.as_str()),
                (AttrValue::Status(have), Value::Status(s)) => have.as_str() == s,
                (AttrValue::Time(have), Value::Time(v)) => have.is_some_and(|have| match op {
                    Op::Eq => have == *v,
                    Op::Gt => have > *v,
                    Op::Ge => have >= *v,
                    Op::Lt => have < *v,
                    Op::Le => have <= *v,
                }),
                _ => false,
            },
        }
    }

    /// The serial every match must have, when the filter pins one (so the index can be used).
    pub fn required_serial(&self) -> Option<&str> {
        match self {
            Expr::Cmp(TokenAttr::Serial, Op::Eq, Value::Serial(s)) => Some(s),
            Expr::And(a, b) => a.required_serial().or_else(|| b.required_serial()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(_) => "string literal".to_string(),
            Tok::Open => "'('".to_string(),
            Tok::Close => "')'".to_string(),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn lex(input: &str) -> Result<Vec<Tok>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, esc)) => s.push(esc),
                            None => break,
                        },
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err(FilterError::UnterminatedString);
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_alphanumeric() || c == '.' || c == '_' => {
                let mut w = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                        w.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(w));
            }
            _ => return Err(FilterError::UnexpectedChar(i + 1)),
        }
    }
    Ok(out)
}

/// Deep enough for any hand-written filter, shallow enough that recursion cannot overflow.
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn peek_keyword(&self, kw: &str) -> bool {
        self.tokens.get(self.pos).is_some_and(|t| t.is_keyword(kw))
    }

    fn or_expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.and_expr(depth)?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.and_expr(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.unary(depth)?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::TooDeep);
        }
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.or_expr(depth + 1)?;
                match self.next() {
                    Some(Tok::Close) => Ok(inner),
                    Some(t) => Err(FilterError::Unexpected(t.describe())),
                    None => Err(FilterError::Unexpected("end of filter, expected ')'".into())),
                }
            }
            Some(t) if t.is_keyword("not") => Ok(Expr::Not(Box::new(self.unary(depth + 1)?))),
            Some(Tok::Word(attr)) => self.comparison(attr),
            Some(t) => Err(FilterError::Unexpected(t.describe())),
            None => Err(FilterError::Unexpected("end of filter".into())),
        }
    }

    fn comparison(&mut self, attr_name: String) -> Result<Expr, FilterError> {
        let Some(attr) = TokenAttr::parse(&attr_name) else {
            return Err(FilterError::UnsupportedAttribute(attr_name));
        };
        let op_name = match self.next() {
            Some(Tok::Word(w)) => w,
            Some(t) => return Err(FilterError::Unexpected(t.describe())),
            None => {
                return Err(FilterError::Unexpected(
                    "end of filter, expected an operator".into(),
                ))
            }
        };
        let op = match op_name.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => {
                return Err(FilterError::UnsupportedOperator {
                    attr: attr_name,
                    op: op_name,
                })
            }
        };
        if op != Op::Eq && !attr.is_time() {
            return Err(FilterError::UnsupportedOperator {
                attr: attr_name,
                op: op_name,
            });
        }
        let raw = match self.next() {
            Some(Tok::Str(s)) => s,
            Some(t) => return Err(FilterError::Unexpected(t.describe())),
            None => return Err(FilterError::Unexpected("end of filter, expected a value".into())),
        };
        let value = match attr {
            TokenAttr::Serial => Value::Serial(match SerialNumber::parse(&raw) {
                Ok(s) => s.padded(),
                Err(_) => raw,
            }),
            TokenAttr::Status => Value::Status(raw.trim().to_ascii_uppercase()),
            TokenAttr::UserId => Value::Text(raw),
            TokenAttr::Created | TokenAttr::Activated | TokenAttr::LastVerified => {
                Value::Time(okta_time::parse(&raw).ok_or(FilterError::BadDate(attr_name))?)
            }
        };
        Ok(Expr::Cmp(attr, op, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TokenStatus;

    struct T {
        serial: String,
        status: TokenStatus,
        user: Option<String>,
        created: DateTime<Utc>,
        activated: Option<DateTime<Utc>>,
    }

    impl TokenAttrs for T {
        fn attr(&self, attr: TokenAttr) -> AttrValue<'_> {
            match attr {
                TokenAttr::Serial => AttrValue::Text(Some(&self.serial)),
                TokenAttr::Status => AttrValue::Status(self.status),
                TokenAttr::UserId => AttrValue::Text(self.user.as_deref()),
                TokenAttr::Created | TokenAttr::LastVerified => AttrValue::Time(Some(self.created)),
                TokenAttr::Activated => AttrValue::Time(self.activated),
            }
        }
    }

    fn token() -> T {
        T {
            serial: "000007886622".into(),
            status: TokenStatus::Active,
            user: Some("00u1".into()),
            created: okta_time::parse("2024-05-01T10:00:00.000Z").unwrap(),
            activated: None,
        }
    }

    fn m(filter: &str) -> bool {
        Expr::parse(filter).unwrap().matches(&token())
    }

    #[test]
    fn serial_matches_padded_or_not() {
        assert!(m(r#"profile.serial eq "7886622""#));
        assert!(m(r#"profile.serial eq "000007886622""#));
        assert!(!m(r#"profile.serial eq "7886623""#));
        assert!(!m(r#"profile.serial eq "not-a-serial""#));
    }

    #[test]
    fn status_user_and_dates_compare() {
        assert!(m(r#"status eq "ACTIVE""#));
        assert!(m(r#"user.id eq "00u1""#));
        assert!(m(r#"created gt "2024-01-01T00:00:00.000Z""#));
        assert!(m(r#"created ge "2024-05-01T10:00:00.000Z""#));
        assert!(!m(r#"created lt "2024-05-01T10:00:00.000Z""#));
        assert!(m(r#"created le "2024-05-01T10:00:00.000Z""#));
        assert!(
            !m(r#"activated gt "2000-01-01T00:00:00.000Z""#),
            "absent date never matches"
        );
    }

    #[test]
    fn logic_and_parentheses_and_case_insensitive_keywords() {
        assert!(m(
            r#"status eq "ACTIVE" AND (user.id eq "x" Or user.id eq "00u1")"#
        ));
        assert!(!m(
            r#"status eq "ACTIVE" and user.id eq "x" or status eq "BLOCKED""#
        ));
        assert!(m(r#"not (status eq "BLOCKED")"#));
        assert!(m(r#"status EQ "ACTIVE""#));
    }

    #[test]
    fn required_serial_finds_the_index_key() {
        let e = Expr::parse(r#"status eq "ACTIVE" and profile.serial eq "7886622""#).unwrap();
        assert_eq!(e.required_serial(), Some("000007886622"));
        let e = Expr::parse(r#"status eq "ACTIVE" or profile.serial eq "7886622""#).unwrap();
        assert_eq!(e.required_serial(), None);
    }

    #[test]
    fn bad_filters_are_errors_not_panics() {
        let cases = [
            "",
            "status",
            r#"status eq"#,
            r#"status eq ACTIVE"#,
            r#"status gt "ACTIVE""#,
            r#"profile.email eq "a@b""#,
            r#"Status eq "ACTIVE""#,
            r#"status sw "A""#,
            r#"(status eq "ACTIVE""#,
            r#"status eq "ACTIVE")"#,
            r#"status eq "ACTIVE" and"#,
            r#"created gt "yesterday""#,
            r#"status eq "ACTIVE"#,
            "status == 'ACTIVE'",
            "((((((((((((((((((((((((((((((((((((((((status eq \"A\"))))))))))))))))))))))))))))))))))))))))",
        ];
        for c in cases {
            assert!(Expr::parse(c).is_err(), "{c:?} should be refused");
        }
        let deep = format!("{}status eq \"A\"{}", "not ".repeat(10_000), "");
        assert_eq!(Expr::parse(&deep), Err(FilterError::TooDeep));
    }
}
