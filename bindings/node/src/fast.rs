//! The request guard's entry points without napi-rs's class machinery:
//! `guard(handle, present, method, cookie, authorization, origin, referer,
//! host, xCsrfToken, xXsrfToken, formToken, secFetchSite)` and
//! `verifyRequestCsrf(…)` with the same arguments, plain functions that
//! find their engine by number in this thread's registry and read the
//! texts whose bit is set in `present` (bit 0 the method, bit 1 the
//! cookie, …) into a buffer on the stack; the others are not touched. A
//! class method call costs about 200 ns and each `String` argument about
//! 100 ns more; this path costs a fraction, so the binding stays close to
//! the Rust call.

use std::cell::RefCell;
use std::ffi::c_char;
use std::ptr;
use std::sync::Arc;

use authkv::Request;
use napi::bindgen_prelude::{Either, ToNapiValue};
use napi::{Env, sys};
use napi_derive::napi;

use crate::engine::Slot;
use crate::errors::{CLOSED, INVALID_ARGUMENT, failure, invalid};
use crate::guard::{csrf_passes, decide};

thread_local! {
    /// The engines opened on this JavaScript thread, by handle. A
    /// JavaScript object never leaves the thread (isolate) that made it,
    /// so neither does its handle.
    static ENGINES: RefCell<Vec<Option<Arc<Slot>>>> = const { RefCell::new(Vec::new()) };
}

/// Give `slot` a handle on this thread.
pub fn register(slot: Arc<Slot>) -> u32 {
    ENGINES.with(|engines| {
        let mut engines = engines.borrow_mut();
        let index = engines.iter().position(Option::is_none).unwrap_or_else(|| {
            engines.push(None);
            engines.len() - 1
        });
        engines[index] = Some(slot);
        index as u32
    })
}

/// Forget a handle (its JavaScript object was collected).
pub fn unregister(handle: u32) {
    ENGINES.with(|engines| {
        if let Some(entry) = engines.borrow_mut().get_mut(handle as usize) {
            *entry = None;
        }
    });
}

/// Headers longer than this are read into the heap instead (the guard
/// refuses any over 8 KiB anyway).
const STACK_TEXT: usize = 2048;
/// Arguments after the handle: method and eight optional headers.
const TEXTS: usize = 10;

/// One argument's text: in `stack` when it fits, else on the heap.
#[derive(Default)]
enum Text {
    #[default]
    Absent,
    Stack(usize, usize),
    Heap(String),
}

/// Read argument `value`, a string, as UTF-8.
///
/// # Safety
/// `env` and `value` come from napi for the current call.
unsafe fn read_text(
    env: sys::napi_env,
    value: sys::napi_value,
    stack: &mut [u8],
    used: &mut usize,
    what: &str,
) -> napi::Result<Text> {
    let room = stack.len() - *used;
    if room > 8 {
        let mut len = 0usize;
        // SAFETY: the buffer has `room` bytes; napi writes at most room - 1
        // and a NUL.
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                stack[*used..].as_mut_ptr().cast::<c_char>(),
                room,
                &mut len,
            )
        };
        if status == sys::Status::napi_string_expected {
            return Err(invalid(format!("{what} must be a string")));
        }
        // A text that filled the room may have been cut: read it whole below.
        if status == sys::Status::napi_ok && len + 4 < room {
            let start = *used;
            *used += len;
            return Ok(Text::Stack(start, len));
        }
    }
    let mut len = 0usize;
    // SAFETY: with a NULL buffer napi only reports the length.
    let status =
        unsafe { sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(invalid(format!("{what} must be a string")));
    }
    let mut heap = vec![0u8; len + 1];
    let mut written = 0usize;
    // SAFETY: `heap` has len + 1 bytes.
    unsafe {
        sys::napi_get_value_string_utf8(env, value, heap.as_mut_ptr().cast(), len + 1, &mut written)
    };
    heap.truncate(written);
    // napi writes UTF-8 (unpaired surrogates replaced).
    String::from_utf8(heap)
        .map(Text::Heap)
        .map_err(|_| invalid(format!("{what} is not valid UTF-8")))
}

const NAMES: [&str; TEXTS] = [
    "method",
    "cookie",
    "authorization",
    "origin",
    "referer",
    "host",
    "x-csrf-token",
    "x-xsrf-token",
    "formToken",
    "sec-fetch-site",
];

/// The value `call` answered, or `undefined` with its error thrown.
///
/// # Safety
/// `env` is napi's for the current call.
unsafe fn answer(env: sys::napi_env, call: napi::Result<sys::napi_value>) -> sys::napi_value {
    match call {
        Ok(value) => value,
        Err(error) => {
            let message =
                std::ffi::CString::new(error.reason.replace('\0', " ")).unwrap_or_default();
            // SAFETY: env is valid; the message is NUL-terminated.
            unsafe { sys::napi_throw_error(env, ptr::null(), message.as_ptr()) };
            ptr::null_mut()
        }
    }
}

/// # Safety
/// Called by napi with a valid env and callback info.
unsafe extern "C" fn guard_callback(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: napi's own arguments.
    let decided =
        unsafe { with_request(env, info, "guard", |slot, r| slot.with(|e| decide(e, r))) };
    // SAFETY: env is valid for this call.
    let value = decided.and_then(|d| unsafe {
        <Either<f64, crate::guard::PrincipalObject>>::to_napi_value(env, d)
    });
    // SAFETY: as above.
    unsafe { answer(env, value) }
}

/// # Safety
/// Called by napi with a valid env and callback info.
unsafe extern "C" fn verify_request_csrf_callback(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: napi's own arguments.
    let passes = unsafe {
        with_request(env, info, "verifyRequestCsrf", |slot, r| {
            slot.with(|e| csrf_passes(e, r))
        })
    };
    // SAFETY: env is valid for this call.
    let value = passes.and_then(|p| unsafe { bool::to_napi_value(env, p) });
    // SAFETY: as above.
    unsafe { answer(env, value) }
}

/// Read this call's arguments — the engine handle, the presence mask and
/// the texts whose bit is set — into a `Request`, and run `call` with the
/// handle's engine slot and that request (a Rust answer: the JavaScript
/// value is made after the registry is let go). `what` names the function
/// in the errors about its first two arguments.
///
/// # Safety
/// `env` and `info` come from napi for the current call.
unsafe fn with_request<T>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    what: &str,
    call: impl FnOnce(&Slot, &Request<'_>) -> napi::Result<T>,
) -> napi::Result<T> {
    let mut argc = TEXTS + 2;
    let mut argv = [ptr::null_mut(); TEXTS + 2];
    // SAFETY: argv has room for argc values.
    unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    let mut handle = 0u32;
    // SAFETY: argv[0] is a value of this call (undefined when missing,
    // which napi refuses as not a number).
    if unsafe { sys::napi_get_value_uint32(env, argv[0], &mut handle) } != sys::Status::napi_ok {
        return Err(failure(
            INVALID_ARGUMENT,
            format!("{what}: the engine handle must be a number"),
        ));
    }
    let mut present = 0u32;
    // SAFETY: as above.
    if unsafe { sys::napi_get_value_uint32(env, argv[1], &mut present) } != sys::Status::napi_ok {
        return Err(failure(
            INVALID_ARGUMENT,
            format!("{what}: the presence mask must be a number"),
        ));
    }
    let mut stack = [0u8; STACK_TEXT];
    let mut used = 0usize;
    let mut texts: [Text; TEXTS] = Default::default();
    for (i, text) in texts.iter_mut().enumerate() {
        if present & (1 << i) != 0 {
            // SAFETY: argv[i + 2] is a value of this call.
            *text = unsafe { read_text(env, argv[i + 2], &mut stack, &mut used, NAMES[i]) }?;
        }
    }
    fn view<'a>(t: &'a Text, stack: &'a [u8]) -> Option<&'a str> {
        match t {
            Text::Absent => None,
            // UTF-8: napi wrote it from a JavaScript string.
            Text::Stack(start, len) => std::str::from_utf8(&stack[*start..start + len]).ok(),
            Text::Heap(s) => Some(s.as_str()),
        }
    }
    let view = |t| view(t, &stack);
    let request = Request {
        method: view(&texts[0]).unwrap_or(""),
        cookie: view(&texts[1]),
        authorization: view(&texts[2]),
        origin: view(&texts[3]),
        referer: view(&texts[4]),
        host: view(&texts[5]),
        csrf_token: view(&texts[6]),
        xsrf_token: view(&texts[7]),
        form_token: view(&texts[8]),
        sec_fetch_site: view(&texts[9]),
    };
    ENGINES.with(|engines| match engines.borrow().get(handle as usize) {
        Some(Some(slot)) => call(slot, &request),
        _ => Err(failure(CLOSED, "engine is closed")),
    })
}

/// The fast entry points, as functions to keep: `{ guard, verifyRequestCsrf }`.
#[napi]
pub fn fast_functions(env: Env) -> napi::Result<napi::bindgen_prelude::Object<'static>> {
    let raw = env.raw();
    let mut exports = ptr::null_mut();
    // SAFETY: env is this call's.
    unsafe { sys::napi_create_object(raw, &mut exports) };
    let functions: [(&std::ffi::CStr, sys::napi_callback); 2] = [
        (c"guard", Some(guard_callback)),
        (c"verifyRequestCsrf", Some(verify_request_csrf_callback)),
    ];
    for (name, callback) in functions {
        let mut function = ptr::null_mut();
        // SAFETY: env is this call's; the name is NUL-terminated.
        unsafe {
            sys::napi_create_function(
                raw,
                name.as_ptr(),
                name.count_bytes() as isize,
                callback,
                ptr::null_mut(),
                &mut function,
            );
            sys::napi_set_named_property(raw, exports, name.as_ptr(), function);
        }
    }
    Ok(napi::bindgen_prelude::Object::from_raw(raw, exports))
}
