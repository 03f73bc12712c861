//! Caps on open connections, per client address and overall. actix's own
//! `max_connections` is per worker and only stops accepting; here every
//! accepted connection takes a slot (released when it closes), and a
//! request on a connection over a cap is answered 503 problem+json and the
//! connection closed, so a client holding many idle or slow connections
//! cannot take the server's memory and file descriptors from everyone.
//!
//! The address is the TCP peer: behind a reverse proxy every connection
//! comes from the proxy, so raise the per-address cap there.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub struct ConnectionCaps {
    max_total: usize,
    max_per_address: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl ConnectionCaps {
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_address,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Counts a connection just accepted from `address`.
    pub fn open(self: &Arc<Self>, address: Option<IpAddr>) -> ConnectionSlot {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.0 += 1;
        let mut over = open.0 > self.max_total;
        if let Some(a) = address {
            let n = open.1.entry(a).or_insert(0);
            *n += 1;
            over |= *n > self.max_per_address;
        }
        ConnectionSlot {
            caps: self.clone(),
            address,
            over,
        }
    }

    /// Open connections: overall, and the addresses that hold any.
    pub fn counts(&self) -> (usize, usize) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        (open.0, open.1.len())
    }
}

/// One open connection; kept in the connection's data, so it is released
/// when the connection closes.
pub struct ConnectionSlot {
    caps: Arc<ConnectionCaps>,
    address: Option<IpAddr>,
    over: bool,
}

impl ConnectionSlot {
    /// Whether this connection came in over a cap (its requests get 503).
    pub fn over(&self) -> bool {
        self.over
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|e| e.into_inner());
        open.0 = open.0.saturating_sub(1);
        if let Some(a) = self.address {
            if let Some(n) = open.1.get_mut(&a) {
                *n -= 1;
                // Forgotten at zero: the map holds only addresses with connections.
                if *n == 0 {
                    open.1.remove(&a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_over_a_cap_are_marked_and_released() {
        let caps = ConnectionCaps::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = caps.open(Some(a));
        let a2 = caps.open(Some(a));
        let a3 = caps.open(Some(a));
        assert!(!a1.over() && !a2.over() && a3.over(), "per address");
        drop(a3);
        let b1 = caps.open(Some(b));
        assert!(!b1.over(), "another address has its own cap");
        let b2 = caps.open(Some(b));
        assert!(b2.over(), "overall");
        drop((a1, a2, b1, b2));
        assert_eq!(caps.counts(), (0, 0), "nothing kept once closed");
    }
}
