//! Promises settled from the tokio runtime through one long-lived threadsafe function per
//! JavaScript thread.
//!
//! `Env::spawn_future` makes a threadsafe function (a libuv async handle, opened and closed on
//! the JS thread) and two tokio tasks for every call. A store call is one Redis round trip, so
//! that set-up was a large share of its cost. Here a finished call queues its value, and only
//! the call that finds the queue empty wakes the JS thread: under load one wake-up settles
//! many promises.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use napi::bindgen_prelude::{spawn, Either, PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError, Status};

use super::error::outcome;
use super::jwt::Failure;

type Resolution = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

/// A promise's resolver; it is only an id, used on the JS thread that made it.
struct Deferred(sys::napi_deferred);

unsafe impl Send for Deferred {}

struct Settled {
    deferred: Deferred,
    value: Resolution,
}

struct Queue {
    settled: Vec<Settled>,
    /// `None` once Node has finalized the threadsafe function (its environment is gone).
    wake: Option<sys::napi_threadsafe_function>,
}

// Node documents threadsafe functions as callable from any thread; the lock keeps a call
// from racing their finalization.
unsafe impl Send for Queue {}

struct Shared {
    queue: Mutex<Queue>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing run under the lock can panic half-way through an update.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, settled: Settled) {
        let mut queue = self.lock();
        let Some(wake) = queue.wake else {
            return;
        };
        queue.settled.push(settled);
        // A non-empty queue already has a wake-up on its way.
        if queue.settled.len() == 1 {
            unsafe {
                sys::napi_call_threadsafe_function(
                    wake,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }
}

/// What the JS thread keeps: its environment's threadsafe function and how many calls are
/// in flight (while any are, the function keeps the event loop alive).
struct Local {
    env: sys::napi_env,
    wake: sys::napi_threadsafe_function,
    shared: Arc<Shared>,
    in_flight: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Rc<RefCell<Local>>>> = const { RefCell::new(None) };
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::GenericFailure,
            format!("{what} failed"),
        ))
    }
}

fn local(env: sys::napi_env) -> napi::Result<Rc<RefCell<Local>>> {
    if let Some(local) = LOCAL.with_borrow(|l| l.clone()) {
        if local.borrow().env == env {
            return Ok(local);
        }
    }
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            settled: Vec::new(),
            wake: None,
        }),
    });
    let name = c"ferroauth:settle";
    let mut name_value = ptr::null_mut();
    check(
        unsafe { sys::napi_create_string_utf8(env, name.as_ptr(), -1, &mut name_value) },
        "napi_create_string_utf8",
    )?;
    let context = Arc::into_raw(shared.clone()) as *mut c_void;
    let mut wake = ptr::null_mut();
    let status = unsafe {
        sys::napi_create_threadsafe_function(
            env,
            ptr::null_mut(),
            ptr::null_mut(),
            name_value,
            0,
            1,
            context,
            Some(finalize),
            context,
            Some(drain),
            &mut wake,
        )
    };
    if let Err(error) = check(status, "napi_create_threadsafe_function") {
        drop(unsafe { Arc::from_raw(context as *const Shared) });
        return Err(error);
    }
    // Idle, it must not keep the process alive.
    check(
        unsafe { sys::napi_unref_threadsafe_function(env, wake) },
        "napi_unref_threadsafe_function",
    )?;
    shared.lock().wake = Some(wake);
    let local = Rc::new(RefCell::new(Local {
        env,
        wake,
        shared,
        in_flight: 0,
    }));
    LOCAL.set(Some(local.clone()));
    Ok(local)
}

/// Runs on the JS thread when woken: settles every queued promise.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() {
        return;
    }
    let shared = unsafe { &*(context as *const Shared) };
    let settled = std::mem::take(&mut shared.lock().settled);
    let count = settled.len();
    for Settled {
        deferred: Deferred(deferred),
        value,
    } in settled
    {
        let mut scope = ptr::null_mut();
        unsafe { sys::napi_open_handle_scope(env, &mut scope) };
        let value = catch_unwind(AssertUnwindSafe(|| value(env))).unwrap_or_else(|_| {
            Err(napi::Error::new(
                Status::GenericFailure,
                "internal error converting a store result".to_owned(),
            ))
        });
        match value {
            Ok(value) => unsafe {
                sys::napi_resolve_deferred(env, deferred, value);
            },
            Err(error) => unsafe {
                let error = JsError::from(error).into_value(env);
                sys::napi_reject_deferred(env, deferred, error);
            },
        }
        unsafe { sys::napi_close_handle_scope(env, scope) };
    }
    // `try_with`: these callbacks must not panic, even on a thread that is shutting down.
    if let Ok(Some(local)) = LOCAL.try_with(|l| l.borrow().clone()) {
        let mut local = local.borrow_mut();
        if local.env == env {
            local.in_flight = local.in_flight.saturating_sub(count);
            if local.in_flight == 0 {
                unsafe { sys::napi_unref_threadsafe_function(env, local.wake) };
            }
        }
    }
}

/// Node finalizes the threadsafe function when its environment shuts down.
unsafe extern "C" fn finalize(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let shared = unsafe { Arc::from_raw(data as *const Shared) };
    let abandoned = {
        let mut queue = shared.lock();
        queue.wake = None;
        std::mem::take(&mut queue.settled)
    };
    drop(abandoned);
    let _ = LOCAL.try_with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref().is_some_and(|local| local.borrow().env == env) {
            *l = None;
        }
    });
}

/// Polls the inner future, turning a panic into an error for the caller.
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Some(value)),
            Err(_) => Poll::Ready(None),
        }
    }
}

/// Runs `future` on the tokio runtime; the promise resolves with its value or its `Failure`.
pub fn spawn_settled<'env, T, Fut>(
    env: &'env Env,
    future: Fut,
) -> napi::Result<PromiseRaw<'env, Either<T, Failure>>>
where
    T: ToNapiValue + Send + 'static,
    Fut: Future<Output = crate::Result<T>> + Send + 'static,
{
    let raw = env.raw();
    let local = local(raw)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check(
        unsafe { sys::napi_create_promise(raw, &mut deferred, &mut promise) },
        "napi_create_promise",
    )?;
    let shared = {
        let mut local = local.borrow_mut();
        if local.in_flight == 0 {
            unsafe { sys::napi_ref_threadsafe_function(raw, local.wake) };
        }
        local.in_flight += 1;
        local.shared.clone()
    };
    let deferred = Deferred(deferred);
    spawn(async move {
        let result = CatchPanic(Box::pin(future)).await.unwrap_or_else(|| {
            Err(crate::Error::StoreFailed(
                "internal error in a store operation".into(),
            ))
        });
        let value = outcome(result);
        shared.push(Settled {
            deferred,
            value: Box::new(move |env| unsafe { ToNapiValue::to_napi_value(env, value) }),
        });
    });
    Ok(PromiseRaw::new(raw, promise))
}

/// A store operation's promise. On the memory store the work is a short critical section,
/// less than the hand-off to the runtime and back would cost, so it runs here and the promise
/// is returned settled; anything that waits (Redis) goes to the runtime (`spawn_settled`).
pub fn settle_in_process_or_spawn<'env, T, Fut>(
    env: &'env Env,
    in_process: bool,
    future: Fut,
) -> napi::Result<PromiseRaw<'env, Either<T, Failure>>>
where
    T: ToNapiValue + Send + 'static,
    Fut: Future<Output = crate::Result<T>> + Send + 'static,
{
    let mut future = Box::pin(future);
    if in_process {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            return PromiseRaw::resolve(env, outcome(result));
        }
        // Not expected; the runtime polls it again with a real waker.
    }
    spawn_settled(env, future)
}
