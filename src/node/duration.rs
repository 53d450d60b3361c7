//! Binding for `crate::duration`: the JS layer's duration options (cookie lifetimes) are read
//! by the same parser as the native options, so both accept and refuse the same text.

// napi-derive registers free functions only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::Either;
use napi_derive::napi;

use super::error::outcome;
use super::jwt::Failure;
use crate::duration::{self, DurationInput};

/// Seconds (possibly fractional) in `value`, a number of seconds or a string like `"15m"`;
/// `option` names the setting in the error.
#[napi(ts_args_type = "value: number | string, option: string")]
pub fn parse_duration(value: Either<f64, String>, option: String) -> Either<f64, Failure> {
    let input = match &value {
        Either::A(seconds) => DurationInput::Seconds(*seconds),
        Either::B(text) => DurationInput::Text(text),
    };
    outcome(duration::parse_seconds(&input, &option))
}
