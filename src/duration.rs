//! Durations as users write them: seconds as a number, or strings like `"15m"` and `"7d"`.

use crate::error::{Error, Result};

/// A duration option as it arrives from configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum DurationInput<'a> {
    Seconds(f64),
    Text(&'a str),
}

/// Parses a duration into whole-or-fractional seconds; `option` names the setting in errors.
pub fn parse_seconds(input: &DurationInput<'_>, option: &str) -> Result<f64> {
    let seconds = match input {
        DurationInput::Seconds(value) => *value,
        DurationInput::Text(text) => parse_text(text).ok_or_else(|| {
            Error::invalid_option(format!(
                "{option}: {text:?} is not a duration (use seconds, or a string like \"30s\", \"15m\", \"12h\", \"7d\")"
            ))
        })?,
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(Error::invalid_option(format!(
            "{option}: must be a finite, non-negative duration"
        )));
    }
    Ok(seconds)
}

fn parse_text(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600.0,
        _ => return None,
    };
    Some(value * unit_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<f64> {
        parse_seconds(&DurationInput::Text(s), "expiresIn")
    }

    #[test]
    fn units() {
        assert_eq!(text("15m").unwrap(), 900.0);
        assert_eq!(text("7d").unwrap(), 604_800.0);
        assert_eq!(text("2 hours").unwrap(), 7_200.0);
        assert_eq!(text("1.5h").unwrap(), 5_400.0);
        assert_eq!(text("30").unwrap(), 30.0);
        assert_eq!(text("500ms").unwrap(), 0.5);
        assert_eq!(text("1y").unwrap(), 31_557_600.0);
    }

    #[test]
    fn numbers_are_seconds() {
        assert_eq!(
            parse_seconds(&DurationInput::Seconds(60.0), "x").unwrap(),
            60.0
        );
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "15x", "m", "-5m", ".5s", "5.s", "1e3s", "NaN"] {
            let err = text(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_OPTION", "{bad:?}");
        }
        let err = parse_seconds(&DurationInput::Seconds(-1.0), "clockTolerance").unwrap_err();
        assert!(err.to_string().contains("clockTolerance"));
        assert!(parse_seconds(&DurationInput::Seconds(f64::INFINITY), "x").is_err());
    }
}
