#include "cel/ext/net.h"

#include "cel/ext/url.h"

namespace clausegate::cel::ext {
namespace {

// Go's parseAddrError text.
std::string AddrError(std::string_view in, std::string_view msg, std::string_view at = {}) {
  std::string out = "ParseAddr(" + GoQuote(in) + "): " + std::string(msg);
  if (!at.empty()) out += " (at " + GoQuote(at) + ")";
  return out;
}

std::optional<IpAddress> Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

// Go's parseIPv4Fields over in[off, end): four decimal octets, no leading
// zeros. Messages name the whole input, as Go's do.
bool ParseIpv4Fields(std::string_view in, size_t off, size_t end, uint8_t* fields, std::string* err) {
  std::string_view s = in.substr(off, end - off);
  int val = 0;
  int pos = 0;
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) {
        *err = AddrError(in, "IPv4 field has octet with leading zero");
        return false;
      }
      val = val * 10 + (c - '0');
      ++digits;
      if (val > 255) {
        *err = AddrError(in, "IPv4 field has value >255");
        return false;
      }
    } else if (c == '.') {
      if (i == 0 || i == s.size() - 1 || s[i - 1] == '.') {
        *err = AddrError(in, "IPv4 field must have at least one digit", s.substr(i));
        return false;
      }
      if (pos == 3) {
        *err = AddrError(in, "IPv4 address too long");
        return false;
      }
      fields[pos++] = static_cast<uint8_t>(val);
      val = 0;
      digits = 0;
    } else {
      *err = AddrError(in, "unexpected character", s.substr(i));
      return false;
    }
  }
  if (pos < 3) {
    *err = AddrError(in, "IPv4 address too short");
    return false;
  }
  fields[3] = static_cast<uint8_t>(val);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's parseIPv6, including the zone split and an embedded IPv4 tail.
bool ParseIpv6(std::string_view in, IpAddress* out, std::string* zone_out, std::string* err) {
  std::string_view s = in;
  std::string_view zone;
  size_t percent = s.find('%');
  if (percent != std::string_view::npos) {
    zone = s.substr(percent + 1);
    s = s.substr(0, percent);
    if (zone.empty()) {
      *err = AddrError(in, "zone must be a non-empty string");
      return false;
    }
  }
  std::array<uint8_t, 16> ip{};
  int ellipsis = -1;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) {
      out->bytes = ip;
      out->family = 6;
      *zone_out = std::string(zone);
      return true;
    }
  }
  int i = 0;
  while (i < 16) {
    size_t off = 0;
    uint32_t acc = 0;
    for (; off < s.size(); ++off) {
      int h = HexValue(s[off]);
      if (h < 0) break;
      acc = (acc << 4) + static_cast<uint32_t>(h);
      if (off > 3) {
        *err = AddrError(in, "each group must have 4 or less digits", s);
        return false;
      }
    }
    if (off == 0) {
      *err = AddrError(in, "each colon-separated field must have at least one digit", s);
      return false;
    }
    if (off < s.size() && s[off] == '.') {
      if (ellipsis < 0 && i != 12) {
        *err = AddrError(in, "embedded IPv4 address must replace the final 2 fields of the address", s);
        return false;
      }
      if (i + 4 > 16) {
        *err = AddrError(in, "too many hex fields to fit an embedded IPv4 at the end of the address", s);
        return false;
      }
      size_t end = in.size() - (zone.empty() ? 0 : zone.size() + 1);
      if (!ParseIpv4Fields(in, end - s.size(), end, ip.data() + i, err)) return false;
      s = {};
      i += 4;
      break;
    }
    ip[static_cast<size_t>(i)] = static_cast<uint8_t>(acc >> 8);
    ip[static_cast<size_t>(i) + 1] = static_cast<uint8_t>(acc);
    i += 2;
    s.remove_prefix(off);
    if (s.empty()) break;
    if (s[0] != ':') {
      *err = AddrError(in, "unexpected character, want colon", s);
      return false;
    }
    if (s.size() == 1) {
      *err = AddrError(in, "colon must be followed by more characters", s);
      return false;
    }
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) {
        *err = AddrError(in, "multiple :: in address", s);
        return false;
      }
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) {
    *err = AddrError(in, "trailing garbage after address", s);
    return false;
  }
  if (i < 16) {
    if (ellipsis < 0) {
      *err = AddrError(in, "address string too short");
      return false;
    }
    int n = 16 - i;
    for (int j = i - 1; j >= ellipsis; --j) ip[static_cast<size_t>(j + n)] = ip[static_cast<size_t>(j)];
    for (int j = ellipsis; j < ellipsis + n; ++j) ip[static_cast<size_t>(j)] = 0;
  } else if (ellipsis >= 0) {
    *err = AddrError(in, "the :: must expand to at least one field of zeros");
    return false;
  }
  out->bytes = ip;
  out->family = 6;
  *zone_out = std::string(zone);
  return true;
}

bool Is4In6(const IpAddress& ip) {
  if (ip.family != 6) return false;
  for (size_t i = 0; i < 10; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

// Go's Addr.Unmap: an IPv4-mapped IPv6 address as plain IPv4.
IpAddress Unmap(const IpAddress& ip) {
  if (!Is4In6(ip)) return ip;
  IpAddress v4;
  v4.family = 4;
  for (size_t i = 0; i < 4; ++i) v4.bytes[i] = ip.bytes[12 + i];
  return v4;
}

int BitLength(const IpAddress& ip) { return ip.family == 4 ? 32 : (ip.family == 6 ? 128 : 0); }

// Whether a and b agree on their first bits bits.
bool SamePrefix(const IpAddress& a, const IpAddress& b, int bits) {
  for (int i = 0; i < bits; i += 8) {
    int take = bits - i < 8 ? bits - i : 8;
    uint8_t mask = static_cast<uint8_t>(0xff00 >> take);
    size_t k = static_cast<size_t>(i / 8);
    if ((a.bytes[k] ^ b.bytes[k]) & mask) return false;
  }
  return true;
}

}  // namespace

std::optional<IpAddress> ParseNetipAddr(std::string_view s, std::string* zone, std::string* error) {
  if (s.size() > kMaxNetLength) return Fail(error, "IP address is longer than 4096 bytes");
  std::string err;
  for (char c : s) {
    if (c == '.') {
      IpAddress ip;
      ip.family = 4;
      if (!ParseIpv4Fields(s, 0, s.size(), ip.bytes.data(), &err)) return Fail(error, err);
      if (zone != nullptr) zone->clear();
      return ip;
    }
    if (c == ':') {
      IpAddress ip;
      std::string z;
      if (!ParseIpv6(s, &ip, &z, &err)) return Fail(error, err);
      if (zone != nullptr) *zone = std::move(z);
      return ip;
    }
    if (c == '%') return Fail(error, AddrError(s, "missing IPv6 address"));
  }
  return Fail(error, AddrError(s, "unable to parse IP"));
}

std::optional<IpAddress> ParseIp(std::string_view s, std::string* error) {
  std::string zone;
  std::string err;
  std::optional<IpAddress> ip = ParseNetipAddr(s, &zone, &err);
  if (!ip) {
    if (s.size() > kMaxNetLength) return Fail(error, err);
    return Fail(error, "IP Address " + GoQuote(s) + " parse error during conversion from string: " + err);
  }
  if (!zone.empty()) return Fail(error, "IP address " + GoQuote(s) + " with zone value is not allowed");
  if (Is4In6(*ip)) return Fail(error, "IPv4-mapped IPv6 address " + GoQuote(s) + " is not allowed");
  return ip;
}

std::string FormatIp(const IpAddress& ip) {
  if (ip.family == 4) {
    std::string out;
    for (size_t i = 0; i < 4; ++i) {
      if (i > 0) out.push_back('.');
      out += std::to_string(ip.bytes[i]);
    }
    return out;
  }
  if (ip.family != 6) return "invalid IP";
  uint16_t groups[8];
  for (size_t i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(ip.bytes[2 * i] << 8 | ip.bytes[2 * i + 1]);
  if (Is4In6(ip)) {
    // Go prints mapped addresses with a dotted tail.
    return "::ffff:" + FormatIp(Unmap(ip));
  }
  // The first longest run of two or more zero groups becomes "::".
  int best_start = -1;
  int best_len = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (i > 0 && !(best_start >= 0 && i == best_start + best_len)) out.push_back(':');
    uint16_t g = groups[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int nibble = (g >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out.push_back(kHex[nibble]);
        started = true;
      }
    }
  }
  return out;
}

bool IsCanonical(std::string_view s) {
  std::optional<IpAddress> ip = ParseIp(s);
  return ip && FormatIp(*ip) == s;
}

bool IsUnspecified(const IpAddress& ip) {
  if (ip.family != 4 && ip.family != 6) return false;
  for (uint8_t b : ip.bytes) {
    if (b != 0) return false;
  }
  return true;
}

bool IsLoopback(const IpAddress& addr) {
  IpAddress ip = Unmap(addr);
  if (ip.family == 4) return ip.bytes[0] == 127;
  if (ip.family != 6) return false;
  for (size_t i = 0; i < 15; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.bytes[15] == 1;
}

bool IsMulticast(const IpAddress& addr) {
  IpAddress ip = Unmap(addr);
  if (ip.family == 4) return (ip.bytes[0] & 0xf0) == 0xe0;
  return ip.family == 6 && ip.bytes[0] == 0xff;
}

bool IsLinkLocalMulticast(const IpAddress& addr) {
  IpAddress ip = Unmap(addr);
  if (ip.family == 4) return ip.bytes[0] == 224 && ip.bytes[1] == 0 && ip.bytes[2] == 0;
  return ip.family == 6 && ip.bytes[0] == 0xff && (ip.bytes[1] & 0x0f) == 0x02;
}

bool IsLinkLocalUnicast(const IpAddress& addr) {
  IpAddress ip = Unmap(addr);
  if (ip.family == 4) return ip.bytes[0] == 169 && ip.bytes[1] == 254;
  return ip.family == 6 && ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80;
}

bool IsGlobalUnicast(const IpAddress& addr) {
  if (addr.family != 4 && addr.family != 6) return false;
  IpAddress ip = Unmap(addr);
  if (ip.family == 4) {
    bool broadcast = ip.bytes[0] == 255 && ip.bytes[1] == 255 && ip.bytes[2] == 255 && ip.bytes[3] == 255;
    if (IsUnspecified(ip) || broadcast) return false;
  } else if (IsUnspecified(ip)) {
    return false;
  }
  return !IsLoopback(ip) && !IsMulticast(ip) && !IsLinkLocalUnicast(ip);
}

std::optional<Cidr> ParseCidr(std::string_view s, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Cidr> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  if (s.size() > kMaxNetLength) return fail("CIDR is longer than 4096 bytes");
  const std::string prefix_error = "network address parse error during conversion from string: netip.ParsePrefix(" +
                                   GoQuote(s) + "): ";
  size_t slash = s.rfind('/');
  if (slash == std::string_view::npos) return fail(prefix_error + "no '/'");
  std::string zone;
  std::string err;
  std::optional<IpAddress> ip = ParseNetipAddr(s.substr(0, slash), &zone, &err);
  if (!ip) return fail(prefix_error + err);
  if (ip->family == 6 && !zone.empty()) return fail(prefix_error + "IPv6 zones cannot be present in a prefix");
  std::string_view bits_str = s.substr(slash + 1);
  const std::string bad_bits = prefix_error + "bad bits after slash: " + GoQuote(bits_str);
  // Digits only: no sign, no leading zero (except "0" itself).
  if (bits_str.empty() || (bits_str.size() > 1 && (bits_str[0] < '1' || bits_str[0] > '9'))) return fail(bad_bits);
  int64_t bits = 0;
  for (char c : bits_str) {
    if (c < '0' || c > '9') return fail(bad_bits);
    if (bits > (INT64_MAX - (c - '0')) / 10) return fail(bad_bits);  // Atoi range error
    bits = bits * 10 + (c - '0');
  }
  if (bits > BitLength(*ip)) return fail(prefix_error + "prefix length out of range");
  if (Is4In6(*ip)) return fail("IPv4-mapped IPv6 address " + GoQuote(s) + " is not allowed");
  return Cidr{*ip, static_cast<int>(bits)};
}

std::string FormatCidr(const Cidr& cidr) { return FormatIp(cidr.ip) + "/" + std::to_string(cidr.prefix_length); }

bool ContainsIp(const Cidr& cidr, const IpAddress& ip) {
  int len = BitLength(cidr.ip);
  if (len == 0 || len != BitLength(ip) || cidr.prefix_length < 0 || cidr.prefix_length > len) return false;
  return SamePrefix(cidr.ip, ip, cidr.prefix_length);
}

bool ContainsCidr(const Cidr& outer, const Cidr& inner) {
  int len = BitLength(outer.ip);
  if (len == 0 || len != BitLength(inner.ip) || outer.prefix_length < 0 || outer.prefix_length > len) return false;
  return outer.prefix_length <= inner.prefix_length && SamePrefix(outer.ip, inner.ip, outer.prefix_length);
}

Cidr Masked(const Cidr& cidr) {
  Cidr out = cidr;
  int len = BitLength(cidr.ip);
  int bits = cidr.prefix_length < 0 ? 0 : (cidr.prefix_length > len ? len : cidr.prefix_length);
  for (int i = 0; i < 128; ++i) {
    if (i >= bits) out.ip.bytes[static_cast<size_t>(i / 8)] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  }
  return out;
}

}  // namespace clausegate::cel::ext
