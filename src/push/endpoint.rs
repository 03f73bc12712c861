//! Which push endpoints the server will talk to: an endpoint is the target
//! of server-side requests, so it is checked against SSRF when a browser
//! subscribes ([`validate_endpoint`]) and again for every send
//! ([`check_target`] and [`GlobalOnlyResolver`], against DNS rebinding).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// Longest endpoint URL accepted.
pub(crate) const MAX_ENDPOINT_LEN: usize = 2048;
/// Time allowed for resolving an endpoint's host when validating it.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

fn parse_endpoint(endpoint: &str, allow_insecure: bool) -> Result<Url, String> {
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(format!(
            "endpoint must be at most {MAX_ENDPOINT_LEN} characters"
        ));
    }
    let url = Url::parse(endpoint).map_err(|e| format!("endpoint is not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        "http" => return Err("endpoint must use https".into()),
        other => {
            return Err(format!(
                "endpoint scheme {other:?} is not allowed, use https"
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("endpoint must not contain credentials".into());
    }
    match url.host() {
        None => Err("endpoint must have a host".into()),
        Some(Host::Domain("")) => Err("endpoint must have a host".into()),
        Some(_) => Ok(url),
    }
}

/// Validates a push endpoint before it is stored. The endpoint becomes the
/// target of server-side requests, so (SSRF):
///
/// - only `https` URLs with a host, at most 2048 characters, no credentials;
/// - the host must not be, nor resolve to, a loopback, private (RFC 1918,
///   fc00::/7), link-local, unspecified, multicast, CGNAT (100.64.0.0/10),
///   documentation, benchmarking or otherwise non-global address, IPv4 or
///   IPv6, including IPv4-mapped IPv6.
///
/// With `allow_insecure` (tests, local demos) `http` and loopback are
/// allowed; the other classes are still refused.
///
/// DNS is resolved here, at subscription time, with a short timeout. A name
/// can later be re-pointed at an internal address (DNS rebinding), so this
/// check alone is not enough: [`PushSender`](super::transport::PushSender) repeats it for every
/// connection with a filtering resolver (unless built with
/// `allow_insecure`).
pub(crate) async fn validate_endpoint(url: &str, allow_insecure: bool) -> Result<(), String> {
    let parsed = parse_endpoint(url, allow_insecure)?;
    match parsed.host() {
        Some(Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4), allow_insecure),
        Some(Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6), allow_insecure),
        Some(Host::Domain(domain)) => {
            let lower = domain.trim_end_matches('.').to_ascii_lowercase();
            if !allow_insecure && (lower == "localhost" || lower.ends_with(".localhost")) {
                return Err("endpoint host must not be a loopback address".into());
            }
            let port = parsed.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host((domain, port));
            let addrs: Vec<SocketAddr> = match tokio::time::timeout(DNS_TIMEOUT, lookup).await {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(_)) => return Err(format!("endpoint host {domain:?} does not resolve")),
                Err(_) => return Err(format!("endpoint host {domain:?} did not resolve in time")),
            };
            if addrs.is_empty() {
                return Err(format!("endpoint host {domain:?} does not resolve"));
            }
            for addr in addrs {
                check_ip(addr.ip(), allow_insecure)
                    .map_err(|reason| format!("endpoint host {domain:?} resolves to {reason}"))?;
            }
            Ok(())
        }
        None => Err("endpoint must have a host".into()),
    }
}

/// Checks an endpoint again right before a send and returns its URL. Literal
/// IPs never reach the resolver guard ([`GlobalOnlyResolver`]), so they are
/// checked here (unless `allow_insecure`).
pub(crate) fn check_target(endpoint: &str, allow_insecure: bool) -> Result<Url, String> {
    let url = parse_endpoint(endpoint, allow_insecure)?;
    if !allow_insecure {
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if let Some(ip) = ip {
            check_ip(ip, false)?;
        }
    }
    Ok(url)
}

/// Refuses addresses that are not globally reachable unicast; loopback is
/// allowed when `allow_loopback`.
fn check_ip(ip: IpAddr, allow_loopback: bool) -> Result<(), String> {
    match classify_ip(ip) {
        None => Ok(()),
        Some("a loopback address") if allow_loopback => Ok(()),
        Some(class) => Err(format!("{class}, which is not allowed")),
    }
}

/// `None` for a global unicast address, else what the address is.
fn classify_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        Some("a private address")
    } else if a == 100 && (64..=127).contains(&b) {
        Some("a shared (CGNAT) address")
    } else if a == 169 && b == 254 {
        Some("a link-local address")
    } else if (224..=239).contains(&a) {
        Some("a multicast address")
    } else if ip.is_broadcast() || a >= 240 {
        Some("a reserved address")
    } else if a == 0 {
        Some("a 'this network' address")
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        Some("a documentation address")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("a benchmarking address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("an IETF protocol address")
    } else if a == 192 && b == 88 && c == 99 {
        Some("a 6to4 relay address")
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if seg[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Some("a site-local address")
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        // NAT64 well-known prefix: judge the embedded IPv4 address.
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        classify_v4(v4)
    } else if seg[0] & 0xe000 != 0x2000 {
        // Outside 2000::/3 nothing is global unicast (IPv4-compatible ::/96,
        // discard 100::/64, local-use NAT64 64:ff9b:1::/48, …).
        Some("a reserved address")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 || seg[0] & 0xfff0 == 0x3ff0 {
        Some("a documentation address")
    } else if seg[0] == 0x2001 && seg[1] < 0x0200 {
        // 2001::/23 IETF protocol assignments (Teredo, ORCHID, benchmarking…).
        Some("an IETF protocol address")
    } else if seg[0] == 0x2002 {
        Some("a 6to4 address")
    } else {
        None
    }
}

/// Resolves like the system resolver, then drops every non-global address,
/// so a hostname cannot be pointed at internal services after it was
/// validated (DNS rebinding). Does not apply when an HTTP proxy is used.
pub(crate) struct GlobalOnlyResolver;

impl reqwest::dns::Resolve for GlobalOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| check_ip(a.ip(), false).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(NoGlobalAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver guard refused every address of a host.
#[derive(Debug)]
pub(super) struct NoGlobalAddress;

impl fmt::Display for NoGlobalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("endpoint host resolves to no global address")
    }
}

impl std::error::Error for NoGlobalAddress {}

/// Whether a request failed because [`GlobalOnlyResolver`] refused every
/// address of its host.
pub(crate) fn is_no_global_address(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<NoGlobalAddress>() {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Option<&'static str> {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn ipv4_classification() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(v4(ip).is_some(), "{ip} must be refused");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "142.250.74.10",
            "192.169.0.1",
        ] {
            assert_eq!(v4(ip), None, "{ip} must be allowed");
        }
        assert_eq!(v4("127.0.0.1"), Some("a loopback address"));
        assert_eq!(v4("100.64.0.1"), Some("a shared (CGNAT) address"));
    }

    #[test]
    fn ipv6_classification() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::127.0.0.1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2002:c0a8:0101::1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "100::1",
        ] {
            assert!(v4(ip).is_some(), "{ip} must be refused");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200a",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(v4(ip), None, "{ip} must be allowed");
        }
        assert_eq!(v4("::ffff:127.0.0.1"), Some("a loopback address"));
        assert_eq!(v4("fd00::1"), Some("a private (unique local) address"));
    }

    #[tokio::test]
    async fn endpoint_validation_without_dns() {
        let ok = validate_endpoint("https://8.8.8.8/push/abc", false).await;
        assert_eq!(ok, Ok(()));
        assert!(
            validate_endpoint("https://[2606:4700:4700::1111]:8443/x", false)
                .await
                .is_ok()
        );

        let err = validate_endpoint("http://8.8.8.8/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("https"), "{err}");
        let err = validate_endpoint("https://127.0.0.1/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        let err = validate_endpoint("https://[::ffff:10.0.0.1]/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("private"), "{err}");
        let err = validate_endpoint("https://[fe80::1]/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("link-local"), "{err}");
        let err = validate_endpoint("https://localhost/push", false)
            .await
            .unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        assert!(validate_endpoint("ftp://8.8.8.8/x", false).await.is_err());
        assert!(validate_endpoint("not a url", false).await.is_err());
        assert!(validate_endpoint("https://user:pw@8.8.8.8/x", false)
            .await
            .is_err());
        let long = format!("https://8.8.8.8/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(validate_endpoint(&long, false)
            .await
            .unwrap_err()
            .contains("2048"));

        // Tests and demos: http + loopback, still no private ranges.
        assert!(validate_endpoint("http://127.0.0.1:8080/push/x", true)
            .await
            .is_ok());
        assert!(validate_endpoint("http://[::1]:8080/push/x", true)
            .await
            .is_ok());
        assert!(validate_endpoint("http://10.0.0.1/push/x", true)
            .await
            .is_err());
        assert!(validate_endpoint("http://169.254.169.254/x", true)
            .await
            .is_err());
    }
}
