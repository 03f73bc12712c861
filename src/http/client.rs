//! Where a request came from: the client's address (for attempt limits)
//! and whether it reached us over https (for cookies and HSTS).

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use super::state::AppState;

/// The client's address, for per-address limits: the TCP peer or, with
/// `AFTERCARE_TRUST_PROXY`, the last address in `X-Forwarded-For` (the one
/// our own proxy appended; earlier entries are the client's to invent).
/// IPv6 addresses are reduced to their /64, which one client usually holds whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    pub fn of(req: &HttpRequest, trust_proxy: bool) -> Self {
        let forwarded = trust_proxy
            .then(|| req.headers().get_all("x-forwarded-for").last())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let ip = forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Self(match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
            v4 => v4,
        })
    }
}

impl FromRequest for ClientAddr {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.trust_proxy);
        ready(Ok(Self::of(req, trust)))
    }
}

/// Whether the client reached us over https: never without a trusted proxy,
/// since this server speaks plain HTTP itself.
pub fn is_https(req: &HttpRequest, trust_proxy: bool) -> bool {
    trust_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}
