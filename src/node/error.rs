use napi::bindgen_prelude::Either;

use crate::duration::{self, DurationInput};

/// Errors thrown to JavaScript carry the core's stable code as `error.code`.
pub type Result<T> = napi::Result<T, String>;

pub fn to_js(error: crate::Error) -> napi::Error<String> {
    napi::Error::new(error.code().to_owned(), error.to_string())
}

pub fn seconds(value: &Option<Either<f64, String>>, option: &str) -> Result<Option<f64>> {
    value
        .as_ref()
        .map(|v| {
            let input = match v {
                Either::A(n) => DurationInput::Seconds(*n),
                Either::B(s) => DurationInput::Text(s),
            };
            duration::parse_seconds(&input, option)
        })
        .transpose()
        .map_err(to_js)
}

/// A result as a value the JS layer can tell apart: the value, or `{ code, message }`.
pub fn outcome<T>(result: crate::Result<T>) -> Either<T, super::jwt::Failure> {
    result.map_or_else(|error| Either::B(failure(error)), Either::A)
}

pub fn failure(error: crate::Error) -> super::jwt::Failure {
    super::jwt::Failure {
        code: error.code().to_owned(),
        message: error.to_string(),
        claim: error.claim().map(str::to_owned),
    }
}

/// A duration option in milliseconds (durations are given in seconds or as `"15m"`, ...).
pub fn millis(value: &Option<Either<f64, String>>, option: &str) -> Result<Option<u64>> {
    Ok(seconds(value, option)?.map(|s| (s * 1000.0).round().min(u64::MAX as f64) as u64))
}
