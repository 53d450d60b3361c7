use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{check_status, sys, Status, ValueType};

/// A JS string read as UTF-8 with one copy. napi-rs's `String` asks V8 for the UTF-8
/// length first, which scans the string a second time; tokens and claims are hot.
pub struct Utf8Text(pub String);

impl TypeName for Utf8Text {
    fn type_name() -> &'static str {
        "string"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Utf8Text {}

impl FromNapiValue for Utf8Text {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut utf16_len = 0;
        // With no buffer this only reads the length, which V8 stores.
        let status = unsafe {
            sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut utf16_len)
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(
                Status::StringExpected,
                "expected a string",
            ));
        }
        // One UTF-16 unit never needs more than three UTF-8 bytes; +1 for the terminator.
        let capacity = utf16_len * 3 + 1;
        let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
        let mut written = 0;
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                bytes.as_mut_ptr().cast(),
                capacity,
                &mut written,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(
                Status::StringExpected,
                "expected a string",
            ));
        }
        // SAFETY: V8 wrote `written` bytes of well-formed UTF-8 (lone surrogates become U+FFFD).
        unsafe { bytes.set_len(written) };
        String::from_utf8(bytes)
            .map(Utf8Text)
            .map_err(|_| napi::Error::new(Status::InvalidArg, "string is not valid UTF-8"))
    }
}

/// Text handed to JavaScript (a verified payload's JSON). ASCII text, which nearly every
/// payload is, goes through V8's Latin-1 constructor, a plain copy; its UTF-8 constructor
/// decodes byte by byte. ASCII reads the same in both, so the string is the same either way.
pub struct OutText(pub String);

impl ToNapiValue for OutText {
    unsafe fn to_napi_value(env: sys::napi_env, text: Self) -> napi::Result<sys::napi_value> {
        let bytes = text.0.as_bytes();
        let mut value = ptr::null_mut();
        check_status!(unsafe {
            if bytes.is_ascii() {
                sys::napi_create_string_latin1(
                    env,
                    bytes.as_ptr().cast(),
                    bytes.len() as isize,
                    &mut value,
                )
            } else {
                sys::napi_create_string_utf8(
                    env,
                    bytes.as_ptr().cast(),
                    bytes.len() as isize,
                    &mut value,
                )
            }
        })?;
        Ok(value)
    }
}
