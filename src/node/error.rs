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
