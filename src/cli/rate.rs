//! Rates as people write them, read by one parser for every flag that takes one (`upload` and
//! `repair --rate`, `emulate --rate-limit` and its per-bucket variants): `N/s`, `N/min`, `N/h`,
//! or `N/` a window with its length (`600/60s`, `50/500ms`, `1000/2h`), which is how the
//! emulator's fixed windows have always been written. The command layer converts a [`Rate`] to
//! whatever the consumer takes (the pacer's requests a minute, the emulator's window);
//! [`RateArg`] is `--rate`: `auto` or such a rate.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// What an error says is accepted.
pub const ACCEPTED: &str = "a rate such as `5/s`, `300/min`, `1000/h` or `600/60s`";

/// At most `count` requests in each `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests (at least 1).
    pub count: u32,
    /// The window they are counted in (longer than zero).
    pub per: Duration,
}

impl Rate {
    /// `count` in `per`.
    pub const fn new(count: u32, per: Duration) -> Self {
        Rate { count, per }
    }

    /// Requests a minute, as a fraction.
    pub fn per_minute(&self) -> f64 {
        f64::from(self.count) * 60.0 / self.per.as_secs_f64()
    }
}

impl fmt::Display for Rate {
    /// The shortest of `N/s`, `N/min`, `N/h`, else `N/{ms}ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_millis() {
            1_000 => "s".to_owned(),
            60_000 => "min".to_owned(),
            3_600_000 => "h".to_owned(),
            ms if ms % 1_000 == 0 => format!("{}s", ms / 1_000),
            ms => format!("{ms}ms"),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_rate(s)
    }
}

/// Parses `N/UNIT` or `N/LENGTH UNIT`: the unit is `ms`, `s` (`sec`), `m` or `min`, `h` (`hr`,
/// `hour`); a window with no unit is in seconds (`600/60`). The error names the accepted forms.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let s = text.trim();
    let bad = |why: &str| format!("`{s}` is not a rate{why}: expected {ACCEPTED}");
    let (count, window) = s.split_once('/').ok_or_else(|| bad(""))?;
    let count: u32 = match count.trim().parse() {
        Ok(0) => return Err(bad(" (the count must be at least 1)")),
        Ok(n) => n,
        Err(_) => return Err(bad(" (the count must be a whole number)")),
    };
    let window = window.trim();
    let split = window
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(window.len());
    let (length, unit) = window.split_at(split);
    let length: f64 = match length {
        "" if !unit.is_empty() => 1.0,
        digits => digits.parse().map_err(|_| bad(""))?,
    };
    let unit_secs = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" => 0.001,
        "" | "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hr" | "hour" => 3_600.0,
        _ => return Err(bad(" (unknown unit)")),
    };
    // try_from refuses NaN, negatives and absurd lengths instead of panicking.
    let per = Duration::try_from_secs_f64(length * unit_secs).map_err(|_| bad(""))?;
    if per.is_zero() {
        return Err(bad(" (the window must be longer than zero)"));
    }
    Ok(Rate { count, per })
}

/// A pace: `auto` (learn from Okta's headers) or a fixed rate (`5/s`, `300/min`, `1000/h`, read
/// by [`parse_rate`]; a bare number is requests a minute, as before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateArg {
    /// Learn the bucket's limit from `X-Rate-Limit-*` and use `--share` of it.
    Auto,
    /// At most this many requests per minute (the pacer's fixed pace is whole requests a minute:
    /// a rate in between is rounded down, never up).
    PerMinute(u32),
}

impl std::str::FromStr for RateArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(RateArg::Auto);
        }
        if let Ok(n) = s.parse::<u32>() {
            return match n {
                0 => Err(format!("`{s}` is not a rate: expected `auto` or {}", ACCEPTED)),
                n => Ok(RateArg::PerMinute(n)),
            };
        }
        let rate = parse_rate(s).map_err(|e| format!("{e}, or `auto`"))?;
        let per_minute = rate.per_minute().floor();
        if per_minute < 1.0 {
            return Err(format!(
                "`{s}` is slower than 1/min, the slowest fixed pace: give at least `1/min` (or `60/h`)"
            ));
        }
        // Saturating: a pace beyond u32 a minute is no limit at all.
        Ok(RateArg::PerMinute(per_minute.min(f64::from(u32::MAX)) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn rate_is_auto_or_a_rate_in_any_unit() {
        assert_eq!("auto".parse::<RateArg>(), Ok(RateArg::Auto));
        assert_eq!("300/min".parse::<RateArg>(), Ok(RateArg::PerMinute(300)));
        assert_eq!("5/s".parse::<RateArg>(), Ok(RateArg::PerMinute(300)));
        assert_eq!("600/h".parse::<RateArg>(), Ok(RateArg::PerMinute(10)));
        assert_eq!("100/h".parse::<RateArg>(), Ok(RateArg::PerMinute(1)));
        assert_eq!("120".parse::<RateArg>(), Ok(RateArg::PerMinute(120)));
        assert!("0/min".parse::<RateArg>().is_err());
        assert!("0".parse::<RateArg>().is_err());
        assert!("30/h"
            .parse::<RateArg>()
            .unwrap_err()
            .contains("slower than 1/min"));
        let err = "fast".parse::<RateArg>().unwrap_err();
        assert!(
            err.contains("`5/s`, `300/min`, `1000/h`") && err.contains("`auto`"),
            "{err}"
        );
        let err = Cli::try_parse_from(["ykprov", "upload", "--rate", "5/fortnight", "s.csv"]).unwrap_err();
        assert!(err.to_string().contains("`300/min`"), "{err}");
    }

    fn rate(count: u32, secs: f64) -> Rate {
        Rate::new(count, Duration::from_secs_f64(secs))
    }

    #[test]
    fn the_three_units_and_their_spellings() {
        assert_eq!(parse_rate("5/s"), Ok(rate(5, 1.0)));
        assert_eq!(parse_rate("5/sec"), Ok(rate(5, 1.0)));
        assert_eq!(parse_rate("300/min"), Ok(rate(300, 60.0)));
        assert_eq!(parse_rate(" 300 / m "), Ok(rate(300, 60.0)));
        assert_eq!(parse_rate("1000/h"), Ok(rate(1000, 3600.0)));
        assert_eq!(parse_rate("1000/hour"), Ok(rate(1000, 3600.0)));
        assert_eq!(parse_rate("1000/H"), Ok(rate(1000, 3600.0)));
    }

    #[test]
    fn windows_with_a_length_as_the_emulator_writes_them() {
        assert_eq!(parse_rate("600/60s"), Ok(rate(600, 60.0)));
        assert_eq!(parse_rate("100/1s"), Ok(rate(100, 1.0)));
        assert_eq!(parse_rate("50/500ms"), Ok(rate(50, 0.5)));
        assert_eq!(parse_rate("10/1.5s"), Ok(rate(10, 1.5)));
        assert_eq!(parse_rate("10/2m"), Ok(rate(10, 120.0)));
        assert_eq!(parse_rate("600/60"), Ok(rate(600, 60.0)));
    }

    #[test]
    fn per_minute_and_display() {
        assert_eq!(parse_rate("5/s").unwrap().per_minute(), 300.0);
        assert_eq!(parse_rate("120/h").unwrap().per_minute(), 2.0);
        assert_eq!(parse_rate("600/60s").unwrap().per_minute(), 600.0);
        for text in ["5/s", "300/min", "1000/h", "100/10s", "50/500ms"] {
            assert_eq!(parse_rate(text).unwrap().to_string(), text);
        }
        assert_eq!(parse_rate("600/60s").unwrap().to_string(), "600/min");
    }

    #[test]
    fn errors_name_the_accepted_forms() {
        for bad in [
            "",
            "fast",
            "5",
            "0/s",
            "-1/s",
            "5/fortnight",
            "5/0s",
            "5/-1s",
            "x/min",
            "5/s/s",
            "1.5/s",
            "5/NaNs",
        ] {
            let err = parse_rate(bad).unwrap_err();
            assert!(
                err.contains("`5/s`, `300/min`, `1000/h` or `600/60s`"),
                "{bad}: {err}"
            );
        }
        assert!(parse_rate("0/min").unwrap_err().contains("at least 1"));
        assert!(parse_rate("5/fortnight").unwrap_err().contains("unknown unit"));
    }
}
