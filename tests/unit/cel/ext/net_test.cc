#include "cel/ext/net.h"

#include <catch2/catch.hpp>

#include <string>

namespace clausegate::cel::ext {
namespace {

IpAddress Ip(std::string_view s) {
  std::string error;
  std::optional<IpAddress> ip = ParseIp(s, &error);
  INFO("parsing " << s << ": " << error);
  REQUIRE(ip.has_value());
  return *ip;
}

Cidr C(std::string_view s) {
  std::string error;
  std::optional<Cidr> c = ParseCidr(s, &error);
  INFO("parsing " << s << ": " << error);
  REQUIRE(c.has_value());
  return *c;
}

std::string IpError(std::string_view s) {
  std::string error;
  CHECK_FALSE(ParseIp(s, &error));
  return error;
}

std::string CidrError(std::string_view s) {
  std::string error;
  CHECK_FALSE(ParseCidr(s, &error));
  return error;
}

TEST_CASE("IP addresses follow the Kubernetes CEL examples", "[net]") {
  CHECK(Ip("127.0.0.1").family == 4);
  CHECK(Ip("::1").family == 6);
  CHECK_FALSE(ParseIp("127.0.0.256"));
  CHECK_FALSE(ParseIp(":::1"));
  CHECK(IsCanonical("127.0.0.1"));
  CHECK(IsCanonical("2001:db8::abcd"));
  CHECK_FALSE(IsCanonical("2001:DB8::ABCD"));
  CHECK_FALSE(IsCanonical("2001:db8::0:0:0:abcd"));
  CHECK(IsUnspecified(Ip("0.0.0.0")));
  CHECK_FALSE(IsUnspecified(Ip("127.0.0.1")));
  CHECK(IsUnspecified(Ip("::")));
  CHECK_FALSE(IsUnspecified(Ip("::1")));
  CHECK(IsLoopback(Ip("127.0.0.1")));
  CHECK_FALSE(IsLoopback(Ip("192.168.0.1")));
  CHECK(IsLoopback(Ip("::1")));
  CHECK_FALSE(IsLoopback(Ip("2001:db8::abcd")));
  CHECK(IsLinkLocalMulticast(Ip("224.0.0.1")));
  CHECK_FALSE(IsLinkLocalMulticast(Ip("224.0.1.1")));
  CHECK(IsLinkLocalMulticast(Ip("ff02::1")));
  CHECK_FALSE(IsLinkLocalMulticast(Ip("fd00::1")));
  CHECK(IsLinkLocalUnicast(Ip("169.254.169.254")));
  CHECK_FALSE(IsLinkLocalUnicast(Ip("192.168.0.1")));
  CHECK(IsLinkLocalUnicast(Ip("fe80::1")));
  CHECK_FALSE(IsLinkLocalUnicast(Ip("fd80::1")));
  CHECK(IsGlobalUnicast(Ip("192.168.0.1")));
  CHECK_FALSE(IsGlobalUnicast(Ip("255.255.255.255")));
  CHECK(IsGlobalUnicast(Ip("2001:db8::abcd")));
  CHECK_FALSE(IsGlobalUnicast(Ip("ff00::1")));
}

TEST_CASE("IP classification matches Go's netip", "[net]") {
  CHECK(IsLoopback(Ip("127.255.0.9")));
  CHECK_FALSE(IsLoopback(Ip("::2")));
  CHECK(IsMulticast(Ip("239.1.2.3")));
  CHECK(IsMulticast(Ip("ff05::2")));
  CHECK_FALSE(IsMulticast(Ip("fe80::1")));
  CHECK(IsLinkLocalMulticast(Ip("ff12::1")));  // any flags, link scope
  CHECK_FALSE(IsLinkLocalMulticast(Ip("ff05::2")));
  CHECK(IsLinkLocalUnicast(Ip("febf::1")));
  CHECK_FALSE(IsLinkLocalUnicast(Ip("fec0::1")));
  CHECK(IsGlobalUnicast(Ip("10.0.0.1")));  // private ranges count, as in Go
  CHECK(IsGlobalUnicast(Ip("fd00::1")));
  CHECK_FALSE(IsGlobalUnicast(Ip("0.0.0.0")));
  CHECK_FALSE(IsGlobalUnicast(Ip("::")));
  CHECK_FALSE(IsGlobalUnicast(Ip("::1")));
  CHECK_FALSE(IsGlobalUnicast(Ip("169.254.1.1")));
  CHECK_FALSE(IsGlobalUnicast(Ip("224.0.0.1")));
  CHECK_FALSE(IsGlobalUnicast(IpAddress{}));
  // IPv4-mapped addresses classify as their IPv4 address (only reachable
  // through ParseNetipAddr).
  std::optional<IpAddress> mapped = ParseNetipAddr("::ffff:127.0.0.1");
  REQUIRE(mapped);
  CHECK(mapped->family == 6);
  CHECK(IsLoopback(*mapped));
  CHECK(FormatIp(*mapped) == "::ffff:127.0.0.1");
}

TEST_CASE("IP formatting is Go's canonical form", "[net]") {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"2001:DB8::ABCD", "2001:db8::abcd"},
      {"2001:db8:0:0:0:0:0:abcd", "2001:db8::abcd"},
      {"2001:0db8::0001", "2001:db8::1"},
      {"1:0:0:1:0:0:0:1", "1:0:0:1::1"},  // the longest run wins
      {"1:0:0:0:1:0:0:1", "1::1:0:0:1"},  // the first of equal runs wins
      {"1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"},  // a single zero group stays
      {"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
      {"::1.2.3.4", "::102:304"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
      {"fe80::1:2", "fe80::1:2"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(FormatIp(Ip(c.in)) == c.out);
    CHECK(IsCanonical(c.in) == (c.in == c.out));
    CHECK(IsCanonical(c.out));
  }
  CHECK_FALSE(IsCanonical("not an ip"));
  CHECK(FormatIp(IpAddress{}) == "invalid IP");
}

TEST_CASE("IP parsing rejects what Kubernetes rejects, with its messages", "[net]") {
  CHECK(IpError("127.0.0.256") ==
        "IP Address \"127.0.0.256\" parse error during conversion from string: ParseAddr(\"127.0.0.256\"): IPv4 "
        "field has value >255");
  CHECK(IpError(":::1") ==
        "IP Address \":::1\" parse error during conversion from string: ParseAddr(\":::1\"): each colon-separated "
        "field must have at least one digit (at \":1\")");
  CHECK(IpError("01.2.3.4") ==
        "IP Address \"01.2.3.4\" parse error during conversion from string: ParseAddr(\"01.2.3.4\"): IPv4 field has "
        "octet with leading zero");
  CHECK(IpError("fe80::1%eth0") == "IP address \"fe80::1%eth0\" with zone value is not allowed");
  CHECK(IpError("::ffff:1.2.3.4") == "IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed");
  CHECK(IpError("::ffff:102:304") == "IPv4-mapped IPv6 address \"::ffff:102:304\" is not allowed");
  CHECK(IpError("") ==
        "IP Address \"\" parse error during conversion from string: ParseAddr(\"\"): unable to parse IP");
  for (std::string_view s : {"1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4%eth0", "%eth0", "fe80::1%",
                             "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7::8",
                             "::1.2.3", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "[::1]", " 1.2.3.4", "1.2.3.4 ",
                             "\xff", "localhost", "0x1.2.3.4"}) {
    INFO(s);
    CHECK_FALSE(ParseIp(s));
  }
  std::string zone;
  std::optional<IpAddress> zoned = ParseNetipAddr("fe80::1%eth0", &zone);
  REQUIRE(zoned);
  CHECK(zone == "eth0");
  CHECK_FALSE(ParseIp(std::string(kMaxNetLength + 1, '1')));
  CHECK_FALSE(ParseIp(std::string(kMaxNetLength, ':')));
}

TEST_CASE("CIDRs follow the Kubernetes CEL examples", "[net]") {
  CHECK(C("192.168.0.0/16").prefix_length == 16);
  CHECK(C("::1/128").prefix_length == 128);
  CHECK_FALSE(ParseCidr("192.168.0.0/33"));
  CHECK_FALSE(ParseCidr("::1/129"));
  CHECK(ParseCidr("192.168.0.1/16"));  // host bits may be set
  CHECK(ContainsIp(C("192.168.0.0/24"), Ip("192.168.0.1")));
  CHECK_FALSE(ContainsIp(C("192.168.0.0/24"), Ip("192.168.1.1")));
  CHECK(ContainsCidr(C("192.168.0.0/16"), C("192.168.10.0/24")));
  CHECK_FALSE(ContainsCidr(C("192.168.1.0/24"), C("192.168.2.0/24")));
  CHECK(ContainsCidr(C("192.168.0.0/24"), C("192.168.0.0/25")));
  CHECK_FALSE(ContainsCidr(C("192.168.0.0/24"), C("192.168.0.0/23")));
  CHECK(C("192.168.0.1/24").ip == Ip("192.168.0.1"));
  CHECK(C("192.168.0.1/24").ip.family == 4);
  CHECK(C("::1/128").ip == Ip("::1"));
  CHECK(Masked(C("192.168.0.0/24")) == C("192.168.0.0/24"));
  CHECK(Masked(C("192.168.0.1/24")) == C("192.168.0.0/24"));
  CHECK_FALSE(C("192.168.0.1/24") == Masked(C("192.168.0.1/24")));
  CHECK(FormatCidr(C("192.168.0.0/24")) == "192.168.0.0/24");
  CHECK(ContainsIp(C("2001:db8::/32"), Ip("2001:db8::1")));
  CHECK_FALSE(ContainsIp(C("2001:db8::/32"), Ip("2001:dc8::1")));
  CHECK(ContainsCidr(C("2001:db8::/32"), C("2001:db8::/33")));
  CHECK_FALSE(ContainsCidr(C("2001:db8::/32"), C("2001:db8::/31")));
  CHECK(Masked(C("2001:db8:1::/32")) == C("2001:db8::/32"));
  CHECK(FormatCidr(C("2001:DB8:0:0::/32")) == "2001:db8::/32");
}

TEST_CASE("CIDR containment and masking edge cases", "[net]") {
  CHECK(ContainsCidr(C("192.168.0.0/16"), C("192.168.0.1/32")));  // fixed in Kubernetes 1.33
  CHECK(ContainsCidr(C("192.168.7.7/16"), C("192.168.200.1/20")));
  CHECK(ContainsCidr(C("0.0.0.0/0"), C("10.0.0.0/8")));
  CHECK(ContainsCidr(C("10.0.0.0/8"), C("10.0.0.0/8")));
  CHECK_FALSE(ContainsCidr(C("0.0.0.0/0"), C("::/0")));  // families differ
  CHECK_FALSE(ContainsCidr(C("::/0"), C("10.0.0.0/8")));
  CHECK(ContainsIp(C("0.0.0.0/0"), Ip("255.255.255.255")));
  CHECK_FALSE(ContainsIp(C("0.0.0.0/0"), Ip("::1")));
  CHECK_FALSE(ContainsIp(C("::/0"), Ip("1.2.3.4")));
  CHECK(ContainsIp(C("10.1.2.3/32"), Ip("10.1.2.3")));
  CHECK_FALSE(ContainsIp(C("10.1.2.3/32"), Ip("10.1.2.4")));
  CHECK(ContainsIp(C("10.1.2.3/31"), Ip("10.1.2.2")));
  CHECK(ContainsIp(C("fe80::/10"), Ip("febf:ffff::1")));
  CHECK_FALSE(ContainsIp(C("fe80::/10"), Ip("fec0::1")));
  CHECK(FormatCidr(Masked(C("10.255.255.255/9"))) == "10.128.0.0/9");
  CHECK(FormatCidr(Masked(C("1.2.3.4/0"))) == "0.0.0.0/0");
  CHECK(FormatCidr(Masked(C("ffff:ffff::1/17"))) == "ffff:8000::/17");
  CHECK(FormatCidr(Masked(C("::1/128"))) == "::1/128");
  CHECK_FALSE(ContainsIp(Cidr{}, IpAddress{}));
}

TEST_CASE("CIDR parsing rejects what Kubernetes rejects, with its messages", "[net]") {
  CHECK(CidrError("192.168.0.0/") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"192.168.0.0/\"): bad bits "
        "after slash: \"\"");
  CHECK(CidrError("2001:db8::/") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"2001:db8::/\"): bad bits "
        "after slash: \"\"");
  CHECK(CidrError("192.168.0.0") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"192.168.0.0\"): no '/'");
  CHECK(CidrError("192.168.0.0/33") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"192.168.0.0/33\"): prefix "
        "length out of range");
  CHECK(CidrError("1.2.3.04/8") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"1.2.3.04/8\"): "
        "ParseAddr(\"1.2.3.04\"): IPv4 field has octet with leading zero");
  CHECK(CidrError("fe80::1%eth0/64") ==
        "network address parse error during conversion from string: netip.ParsePrefix(\"fe80::1%eth0/64\"): IPv6 "
        "zones cannot be present in a prefix");
  CHECK(CidrError("::ffff:1.2.3.4/120") == "IPv4-mapped IPv6 address \"::ffff:1.2.3.4/120\" is not allowed");
  for (std::string_view s : {"1.2.3.4/08", "1.2.3.4/+8", "1.2.3.4/-1", "1.2.3.4/a", "1.2.3.4/8/8", "/8", "1.2.3.4/ 8",
                             "1.2.3.4/99999999999999999999999", "::/129", "::/0x10", ""}) {
    INFO(s);
    CHECK_FALSE(ParseCidr(s));
  }
  CHECK(C("1.2.3.4/0").prefix_length == 0);
  CHECK(C("::/0").prefix_length == 0);
  CHECK_FALSE(ParseCidr(std::string(kMaxNetLength + 1, '1')));
}

}  // namespace
}  // namespace clausegate::cel::ext
