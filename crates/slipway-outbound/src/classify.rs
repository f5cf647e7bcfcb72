//! What kind of address an IP is: public, or one of the internal ranges a user-given URL must not reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The class of an IP address, as the outbound policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: allowed for everyone.
    Public,
    /// Cloud instance metadata (169.254.169.254, fd00:ec2::254).
    Metadata,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and unique-local fc00::/7.
    Private,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedNat,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32).
    Documentation,
    /// Benchmarking, 198.18.0.0/15 and 2001:2::/48.
    Benchmarking,
    /// Other special-purpose ranges: 192.0.0.0/24 (protocol assignments), 240.0.0.0/4 (reserved),
    /// 64:ff9b:1::/48 (local NAT64), 100::/64 (discard), 2001::/23 (IETF protocol assignments).
    Reserved,
}

impl AddressClass {
    /// Whether a user-given URL must not reach it (everything but [`AddressClass::Public`]).
    pub fn is_internal(self) -> bool {
        self != Self::Public
    }

    /// The class for people: "a private address", "the cloud metadata address".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Metadata => "the cloud metadata address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address",
            Self::SharedNat => "a carrier-grade NAT address",
            Self::Unspecified => "an unspecified address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Documentation => "a documentation address",
            Self::Benchmarking => "a benchmarking address",
            Self::Reserved => "a reserved address",
        }
    }
}

/// The class of `ip`; IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) IPv6 addresses, and
/// NAT64 (`64:ff9b::a.b.c.d`), are classed as the IPv4 address they carry.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// Whether `ip` is internal (see [`classify`]).
pub fn is_internal(ip: IpAddr) -> bool {
    classify(ip).is_internal()
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    // IPv4-compatible (deprecated ::a.b.c.d, but still routed by some stacks); `::` and `::1` are IPv6's own.
    if s[..6] == [0; 6] && u32::from(tail) > 1 {
        return Some(tail);
    }
    // The well-known NAT64 prefix 64:ff9b::/96 reaches the IPv4 address it carries.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    None
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => AddressClass::Metadata,
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (192, 168, _) => AddressClass::Private,
        (172, b, _) if (16..32).contains(&b) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, b, _) if (64..128).contains(&b) => AddressClass::SharedNat,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (198, 18 | 19, _) => AddressClass::Benchmarking,
        (192, 0, 0) => AddressClass::Reserved,
        (224..=239, _, _) => AddressClass::Multicast,
        (240..=255, _, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    match s {
        _ if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => AddressClass::Metadata,
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        _ if ip.is_loopback() => AddressClass::Loopback,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressClass::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        // fec0::/10, the deprecated site-local range, is still private in effect.
        [first, ..] if first & 0xffc0 == 0xfec0 => AddressClass::Private,
        [first, ..] if first & 0xff00 == 0xff00 => AddressClass::Multicast,
        [0x2001, 0xdb8, ..] => AddressClass::Documentation,
        [0x2001, 0x2, 0, ..] => AddressClass::Benchmarking,
        [0x64, 0xff9b, 1, ..] | [0x100, 0, 0, 0, ..] => AddressClass::Reserved,
        [0x2001, second, ..] if second < 0x200 => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn every_internal_range_is_internal() {
        use AddressClass::*;
        for (ip, want) in [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("::1", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fec0::1", Private),
            ("169.254.1.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("100.64.0.1", SharedNat),
            ("100.127.255.254", SharedNat),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("::", Unspecified),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("ff02::1", Multicast),
            ("255.255.255.255", Broadcast),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("2001:db8::1", Documentation),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.1", Benchmarking),
            ("2001:2::1", Benchmarking),
            ("192.0.0.8", Reserved),
            ("240.0.0.1", Reserved),
            ("169.254.169.254", Metadata),
            ("fd00:ec2::254", Metadata),
        ] {
            assert_eq!(class(ip), want, "{ip}");
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_classed_as_its_ipv4() {
        assert_eq!(class("::ffff:127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("::ffff:10.1.2.3"), AddressClass::Private);
        assert_eq!(class("::ffff:169.254.169.254"), AddressClass::Metadata);
        assert_eq!(class("::ffff:100.64.1.1"), AddressClass::SharedNat);
        assert_eq!(class("::ffff:0.0.0.0"), AddressClass::Unspecified);
        assert_eq!(class("::ffff:224.0.0.1"), AddressClass::Multicast);
        assert_eq!(class("::ffff:255.255.255.255"), AddressClass::Broadcast);
        assert_eq!(class("::ffff:192.0.2.1"), AddressClass::Documentation);
        assert_eq!(class("::127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("64:ff9b::10.0.0.1"), AddressClass::Private);
        assert_eq!(class("::ffff:8.8.8.8"), AddressClass::Public);
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2606:4700::1111", "2a00:1450::1"]
        {
            assert_eq!(class(ip), AddressClass::Public, "{ip}");
        }
    }
}
