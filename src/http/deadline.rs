//! A deadline on reading a request's whole body: a client that declares a
//! body and then sends it slowly (or not at all) is cut off instead of
//! holding a connection and its buffers for ever. Headers have their own
//! timeout in actix (`client_request_timeout`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_core::Stream;
use tokio::time::{sleep, Sleep};

/// The deadline grows with the declared length: `base` per started 64 KiB,
/// counted up to 1 MiB (the largest body any route takes).
pub fn for_length(base: Duration, content_length: Option<u64>) -> Duration {
    const STEP: u64 = 64 * 1024;
    let steps = content_length
        .unwrap_or(0)
        .min(1024 * 1024)
        .div_ceil(STEP)
        .max(1);
    base * steps as u32
}

/// Whether a body read failed because its deadline passed.
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}

/// The payload, failing with a `TimedOut` I/O error once `limit` has passed
/// since the request reached the handler chain.
pub fn with_deadline(payload: Payload, limit: Duration) -> Payload {
    Payload::Stream {
        payload: Box::pin(Deadline {
            inner: payload,
            sleep: Box::pin(sleep(limit)),
            expired: false,
        }),
    }
}

struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired = true;
                Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request body was not received in time",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_grows_with_the_declared_length_up_to_a_mebibyte() {
        let base = Duration::from_secs(10);
        assert_eq!(for_length(base, None), base);
        assert_eq!(for_length(base, Some(100)), base);
        assert_eq!(for_length(base, Some(64 * 1024 + 1)), base * 2);
        assert_eq!(for_length(base, Some(1 << 40)), base * 16);
    }
}
