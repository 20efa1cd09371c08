#pragma once
// IP addresses and CIDR prefixes for the Kubernetes CEL IP and CIDR libraries
// (ip(), isIP(), ip.isCanonical(), family(), isLoopback() ..., cidr(),
// isCIDR(), containsIP(), containsCIDR(), ip(), masked(), prefixLength()),
// with Go's net/netip parsing and classification.
//
// As in Kubernetes: IPv4 octets may not have leading zeros ("01.2.3.4"),
// IPv6 zones ("fe80::1%eth0") and IPv4-mapped IPv6 addresses
// ("::ffff:1.2.3.4") are rejected, and a CIDR may have host bits set
// ("192.168.0.1/24" is valid; Masked() clears them). Inputs longer than
// kMaxNetLength bytes are rejected.
//
// Error strings are those of Kubernetes' own parse helpers, e.g.
//   IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short
// (Kubernetes' cidr() prefixes its helper's message with
// "network address parse error during conversion from string: " once more.)

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clausegate::cel::ext {

inline constexpr std::size_t kMaxNetLength = 4096;

struct IpAddress {
  // IPv4: bytes[0..3], the rest zero. IPv6: all 16 bytes, network order.
  std::array<uint8_t, 16> bytes{};
  int family = 0;  // 4 or 6

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Cidr {
  IpAddress ip;  // as written: host bits may be set
  int prefix_length = 0;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Kubernetes ip()/isIP(): Go's netip.ParseAddr, then zones and IPv4-mapped
// IPv6 addresses rejected.
std::optional<IpAddress> ParseIp(std::string_view s, std::string* error = nullptr);

// Go's netip.ParseAddr as is: zones (returned in *zone) and IPv4-mapped
// IPv6 addresses (family 6, bytes ::ffff:a.b.c.d) are accepted. For URL hosts.
std::optional<IpAddress> ParseNetipAddr(std::string_view s, std::string* zone = nullptr,
                                        std::string* error = nullptr);

// Go's netip.Addr.String(): dotted quad, or RFC 5952 for IPv6 (lower case,
// the first longest run of two or more zero groups compressed to "::").
std::string FormatIp(const IpAddress& ip);

// Kubernetes ip.isCanonical(): s parses and equals FormatIp of the result.
// Kubernetes raises an error (not false) for a string that does not parse;
// callers wanting that check ParseIp first.
bool IsCanonical(std::string_view s);

// Go's netip.Addr classification.
bool IsUnspecified(const IpAddress& ip);         // 0.0.0.0, ::
bool IsLoopback(const IpAddress& ip);            // 127.0.0.0/8, ::1
bool IsMulticast(const IpAddress& ip);           // 224.0.0.0/4, ff00::/8
bool IsLinkLocalMulticast(const IpAddress& ip);  // 224.0.0.0/24, ffX2::/16
bool IsLinkLocalUnicast(const IpAddress& ip);    // 169.254.0.0/16, fe80::/10
// Not unspecified, loopback, multicast, link-local unicast or (IPv4)
// 255.255.255.255; private ranges count as global, as in Go.
bool IsGlobalUnicast(const IpAddress& ip);

// Kubernetes cidr()/isCIDR(): Go's netip.ParsePrefix ("addr/bits", bits in
// decimal without sign or leading zeros), IPv4-mapped addresses rejected.
std::optional<Cidr> ParseCidr(std::string_view s, std::string* error = nullptr);

// Go's netip.Prefix.String(): FormatIp(ip) + "/" + prefix_length.
std::string FormatCidr(const Cidr& cidr);

// Whether ip lies in the prefix; false when the families differ.
bool ContainsIp(const Cidr& cidr, const IpAddress& ip);

// Whether every address of inner lies in outer; false when the families
// differ. (Kubernetes releases before 1.33 compared unmasked addresses here.)
bool ContainsCidr(const Cidr& outer, const Cidr& inner);

// The prefix with host bits cleared ("192.168.0.1/24" -> "192.168.0.0/24").
Cidr Masked(const Cidr& cidr);

}  // namespace clausegate::cel::ext
