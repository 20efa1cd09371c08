#include "cel/ext/quantity.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace clausegate::cel::ext {
namespace {

Quantity Q(std::string_view s) {
  std::optional<Quantity> q = Quantity::Parse(s);
  INFO("parsing " << s);
  REQUIRE(q.has_value());
  return *q;
}

std::string Canonical(std::string_view s) { return Q(s).ToString(); }

TEST_CASE("Quantity parses every suffix family", "[quantity]") {
  CHECK(Q("1").Compare(Quantity::FromInt(1)) == 0);
  CHECK(Q("5n").AsApproximateFloat() == 5e-9);
  CHECK(Q("4u").AsApproximateFloat() == 4e-6);
  CHECK(Q("3m").AsApproximateFloat() == 0.003);
  CHECK(Q("8k").AsInteger() == 8000);
  CHECK(Q("7M").AsInteger() == 7000000);
  CHECK(Q("6G").AsInteger() == 6000000000);
  CHECK(Q("5T").AsInteger() == 5000000000000);
  CHECK(Q("2P").AsInteger() == 2000000000000000);
  CHECK(Q("1E").AsInteger() == 1000000000000000000);
  CHECK(Q("1Ki").AsInteger() == 1024);
  CHECK(Q("7Mi").AsInteger() == 7 * 1024 * 1024);
  CHECK(Q("6Gi").AsInteger() == int64_t{6} << 30);
  CHECK(Q("5Ti").AsInteger() == int64_t{5} << 40);
  CHECK(Q("1e3").AsInteger() == 1000);
  CHECK(Q("1E6").AsInteger() == 1000000);
  CHECK(Q("1.3E+6").AsInteger() == 1300000);
  CHECK(Q("12E-2").AsApproximateFloat() == 0.12);
  CHECK(Q("0.5e-1").AsApproximateFloat() == 0.05);

  CHECK(Q("1k").Format() == QuantityFormat::kDecimalSI);
  CHECK(Q("1Ki").Format() == QuantityFormat::kBinarySI);
  CHECK(Q("1e3").Format() == QuantityFormat::kDecimalExponent);
}

TEST_CASE("Quantity follows the Kubernetes CEL examples", "[quantity]") {
  CHECK(Quantity::Parse("1.5G"));
  CHECK(Quantity::Parse("200k"));
  CHECK_FALSE(Quantity::Parse("200K"));
  CHECK_FALSE(Quantity::Parse("Three"));
  CHECK(Quantity::Parse("1.3Gi"));
  CHECK_FALSE(Quantity::Parse("1,3G"));
  CHECK(Quantity::Parse("10000k"));
  CHECK(Q("50000000G").IsInteger());
  CHECK(Q("50k").IsInteger());
  CHECK(Q("50k").AsInteger() == 50000);
  CHECK_FALSE(Q("9999999999999999999999999999999999999G").IsInteger());
  CHECK_FALSE(Q("9999999999999999999999999999999999999G").AsInteger());
  CHECK(Q("50.703k").AsApproximateFloat() == 50703.0);
  CHECK(Q("200M").Compare(Q("0.2G")) == 0);
  CHECK(Q("50M").Compare(Q("50Mi")) == -1);
  CHECK(Q("50Mi").Compare(Q("50M")) == 1);
  CHECK(Q("150Mi").Compare(Q("100Mi")) == 1);
  CHECK(Q("50M").Compare(Q("100M")) == -1);
  CHECK(Q("2M") == Q("0.002G"));
  CHECK(Q("2000k") == Q("2M"));
  CHECK_FALSE(Q("200M") == Q("0.3G"));

  CHECK(*Q("50k").Add(Q("20")) == Q("50.02k"));
  CHECK(*Q("50k").Add(Quantity::FromInt(20)) == Q("50020"));
  CHECK(*Q("50k").Sub(Q("20")) == Q("49.98k"));
  CHECK(*Q("50k").Sub(Quantity::FromInt(20000)) == Q("30k"));
  std::optional<Quantity> chain = Q("50k").Add(Quantity::FromInt(20));
  REQUIRE(chain);
  chain = chain->Sub(Q("100k"));
  REQUIRE(chain);
  CHECK(chain->AsInteger() == -49980);
  chain = chain->Sub(Quantity::FromInt(-50000));
  REQUIRE(chain);
  CHECK(chain->AsInteger() == 20);
  CHECK(*chain == Q("20"));
  CHECK(Q("50k").Sub(Quantity::FromInt(20000))->AsApproximateFloat() == 30000.0);
}

TEST_CASE("Quantity keeps Go's lenient number forms", "[quantity]") {
  // These all parse in Go, most of them to zero.
  for (std::string_view s : {"0", "-0", "+0", "-", "+", ".", "-.", "Mi", "Ti", "0Ki", "0n", "00", "1.", "1.G", ".5",
                             "1.Ki", "0.0Ei", "5.Ei", "+5Ei"}) {
    INFO(s);
    CHECK(Quantity::Parse(s));
  }
  CHECK(Q("Mi").IsZero());
  CHECK(Q("-").IsZero());
  CHECK(Q("1.G").AsInteger() == 1000000000);
  // Go's big-decimal path needs a digit.
  for (std::string_view s : {"Pi", "Ei", ".Ei", "-Ei", "-.Ei"}) {
    std::string error;
    INFO(s);
    CHECK_FALSE(Quantity::Parse(s, &error));
    CHECK(error == "unable to parse numeric part of quantity");
  }
}

TEST_CASE("Quantity rejects malformed input with Go's messages", "[quantity]") {
  const std::string format_wrong =
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  for (std::string_view s : {"", " 1", "1 ", "1.1.M", "1+1.0M", "aoeu", "10Mo", "1.2.3", "-3.01e-x", "1e3.5", "\xff",
                             "1\n", "1Ki ", "0.1am", "1KiB"}) {
    std::string error;
    INFO(s);
    CHECK_FALSE(Quantity::Parse(s, &error));
    CHECK(error == format_wrong);
  }
  for (std::string_view s : {"10Mm", "0.1mi", ".5i", "1i", "-3.01i", "-3.01e-", "1e", "1e+", "1ee3", "++1", "--1",
                             "1k3", "1e99999999999999999999", "200K", "1ki"}) {
    std::string error;
    INFO(s);
    CHECK_FALSE(Quantity::Parse(s, &error));
    CHECK(error == "unable to parse quantity's suffix");
  }
  std::string embedded_nul("1\0k", 3);
  CHECK_FALSE(Quantity::Parse(embedded_nul));
}

TEST_CASE("Quantity bounds input length", "[quantity]") {
  std::string ok = "0." + std::string(kMaxQuantityLength - 3, '0') + "1";
  REQUIRE(ok.size() == kMaxQuantityLength);
  CHECK(Q(ok).ToString() == "1n");  // rounded up to the nearest nano
  std::string ones = "0." + std::string(kMaxQuantityLength - 2, '1');
  CHECK(Q(ones).ToString() == "111111112n");
  CHECK(Q(std::string(kMaxQuantityLength - 2, '0') + "Ki").IsZero());
  std::string error;
  CHECK_FALSE(Quantity::Parse(ok + "1", &error));
  CHECK(error == "quantity is longer than 4096 bytes");
  CHECK_FALSE(Quantity::Parse(std::string(100000, '9')));
}

TEST_CASE("Quantity prints Go's canonical form", "[quantity]") {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"1500m", "1500m"},
      {"1.5", "1500m"},
      {"-1.5", "-1500m"},
      {"1024Ki", "1Mi"},
      {"2048Ki", "2Mi"},
      {"1025Ki", "1025Ki"},
      {"8Ki", "8Ki"},
      {"1000", "1k"},
      {"1000M", "1G"},
      {"1000m", "1"},
      {"0.5", "500m"},
      {"1.5Gi", "1536Mi"},
      {"1.5Ki", "1536"},
      {"0.5Ki", "512"},
      {"100.035Ki", "102435840m"},
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000000001Ki", "2n"},
      {"0.0005Ki", "512m"},
      {"8Ei", "9223372036854775807"},
      {"-8Ei", "-9223372036854775807"},
      {"9223372036854775807Ki", "9223372036854775807"},
      {"1e3", "1e3"},
      {"12E-2", "120e-3"},
      {"1E-3", "1E-3"},
      {"1E-4", "100e-6"},
      {"1.1E-9", "2e-9"},
      {"1e-100", "1e-9"},
      {"3.001n", "4n"},
      {"0.0000000001", "1n"},
      {"0.00000012345", "124n"},
      {"1e-0", "1e-0"},  // Go keeps the text of an already canonical input
      {"+1Ki", "+1Ki"},
      {"00100", "00100"},
      {"+1500m", "+1500m"},
      {"1.Ki", "1.Ki"},
      {"50.703k", "50.703k"},
      {"0", "0"},
      {"-0", "0"},
      {"0Ki", "0"},
      {"0e400", "0"},
      {"12E", "12E"},
      {"1000E", "1e21"},  // Go v0.37 drops the suffix here and prints "1"
      {"9999999999999999999999999999999999999G", "9999999999999999999999999999999999999G"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"18446744073709551616", "18446744073709551616"},
      {"1e4294967296", "1e4294967296"},  // the exponent wraps to 0 as in Go
      {"1e2147483647", "10e2147483646"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(Canonical(c.in) == c.out);
  }
  CHECK(Q("1e4294967296").AsInteger() == 1);
}

TEST_CASE("Quantity compares exactly across formats and scales", "[quantity]") {
  CHECK(Q("1Gi").Compare(Q("1G")) == 1);
  CHECK(Q("1G").Compare(Q("1Gi")) == -1);
  CHECK(Q("1000m").Compare(Q("1")) == 0);
  CHECK(Q("1.5").Compare(Q("1500m")) == 0);
  CHECK(Q("1500m") == Q("1.5"));
  CHECK(Q("1Ki") == Q("1024"));
  CHECK(Q("10000T").Compare(Q("100Gi")) == 1);
  CHECK(Q("100m").Compare(Q("50m")) == 1);
  CHECK(Q("-1").Compare(Q("1n")) == -1);
  CHECK(Q("-1n").Compare(Q("0")) == -1);
  CHECK(Q("0").Compare(Q("-0")) == 0);
  CHECK(Q("Mi").Compare(Q("0e100")) == 0);
  CHECK(Q("1e100").Compare(Q("9223372036854775807")) == 1);
  CHECK(Q("-1e100").Compare(Q("-9223372036854775807")) == -1);
  CHECK(Q("1e2147483647").Compare(Q("1e2147483646")) == 1);
  CHECK(Q("1e-9").Compare(Q("1e-100")) == 0);  // both round to 1n
  CHECK(Q("12345678901234567890123456789012345678").Compare(Q("12345678901234567890123456789012345679")) == -1);
  CHECK(Q("99999999999999999999999999999999999999").Compare(Q("1e38")) == -1);
  CHECK(Q("170141183460469231731687303715884105727").Compare(Q("1e38")) == 1);
  CHECK(Q("9e37").Compare(Q("90000000000000000000000000000000000000")) == 0);
  CHECK(Q("1.5").Sign() == 1);
  CHECK(Q("-1n").Sign() == -1);
  CHECK(Q("-0.0").Sign() == 0);
}

TEST_CASE("Quantity integer conversion follows Go's AsInt64", "[quantity]") {
  CHECK(Q("1k").IsInteger());
  CHECK(Q("1k").AsInteger() == 1000);
  CHECK(Q("50").AsInteger() == 50);
  CHECK(Q("-50").AsInteger() == -50);
  CHECK_FALSE(Q("1.5").IsInteger());
  CHECK_FALSE(Q("100m").IsInteger());
  CHECK(Q("1Ti").AsInteger() == int64_t{1} << 40);
  CHECK(Q("922337203685477580").AsInteger() == 922337203685477580);
  CHECK(Q("-922337203685477580").AsInteger() == -922337203685477580);
  CHECK(Q("922337203685477580e1").AsInteger() == 9223372036854775800);
  CHECK(Quantity::FromInt(std::numeric_limits<int64_t>::max()).AsInteger() == std::numeric_limits<int64_t>::max());
  CHECK(Q("1e18").AsInteger() == 1000000000000000000);
  CHECK_FALSE(Q("1e19").IsInteger());  // overflows int64
  CHECK_FALSE(Q("10E").IsInteger());
  CHECK_FALSE(Q("9223372036854775808").IsInteger());
  // Representation-dependent, exactly as on a Kubernetes API server: Go
  // holds these as a scaled or big-decimal value that AsInt64 refuses.
  CHECK_FALSE(Q("1000m").IsInteger());
  CHECK_FALSE(Q("1.5Gi").IsInteger());
  CHECK_FALSE(Q("1Pi").IsInteger());
  CHECK_FALSE(Q("-9223372036854775808").IsInteger());
  CHECK_FALSE(Q("9223372036854775807").IsInteger());  // 19 digits take Go's big-decimal path
  CHECK_FALSE(Q("500m").Add(Q("500m"))->IsInteger());
  CHECK(Q("1k").Add(Q("1"))->AsInteger() == 1001);
  CHECK_FALSE(Q("100m").Sub(Q("100m"))->IsInteger());
  CHECK(Q("0").IsInteger());
  CHECK(Q("0e400").AsInteger() == 0);
}

TEST_CASE("Quantity approximate floats match Go bit for bit", "[quantity]") {
  CHECK(Q("1.5").AsApproximateFloat() == 1.5);
  CHECK(Q("-1n").AsApproximateFloat() == -1e-9);
  CHECK(Q("1Ei").AsApproximateFloat() == 1152921504606846976.0);
  CHECK(Q("100.035Ki").AsApproximateFloat() == 102435.84000000001);
  CHECK(Q("9999999999999999999999999999999999999G").AsApproximateFloat() == 1.0000000000000001e+46);
  CHECK(std::isinf(Q("1e400").AsApproximateFloat()));
  CHECK(std::isinf(Q("-1e400").AsApproximateFloat()));
  CHECK(Q("1e-400").AsApproximateFloat() == 1e-9);
  CHECK(std::isnan(Q("0e400").AsApproximateFloat()));  // Go computes 0 * +Inf
  CHECK(Q("0").AsApproximateFloat() == 0.0);
}

TEST_CASE("Quantity arithmetic is exact and keeps formats like Go", "[quantity]") {
  CHECK(Q("1Ki").Add(Q("1Ki"))->ToString() == "2Ki");
  CHECK(Q("1.5Gi").Add(Q("1.5Gi"))->ToString() == "3Gi");
  CHECK(Q("1e3").Add(Q("1k"))->ToString() == "2e3");
  CHECK(Q("1k").Add(Q("1e3"))->ToString() == "2k");
  CHECK(Q("1Gi").Sub(Q("1G"))->ToString() == "73741824");
  CHECK(Q("1Mi").Sub(Q("1"))->ToString() == "1048575");
  CHECK(Q("8Ei").Add(Q("8Ei"))->ToString() == "18446744073709551614");
  // A zero receiver takes the operand's format; a zero operand keeps the suffix.
  CHECK(Q("0").Add(Q("100m"))->ToString() == "100m");
  CHECK(Q("0").Sub(Q("1Gi"))->ToString() == "-1Gi");
  CHECK(Q("1Gi").Add(Q("0"))->ToString() == "1Gi");
  CHECK(Q("100m").Sub(Q("0"))->ToString() == "100m");
  CHECK(Q("100m").Sub(Q("100m"))->ToString() == "0");
  // Past int64 the result stays exact.
  std::optional<Quantity> big = Q("9223372036854775807").Add(Q("1"));
  REQUIRE(big);
  CHECK(big->ToString() == "9223372036854775808");
  CHECK_FALSE(big->AsInteger());
  CHECK(big->Sub(Q("1"))->Compare(Q("9223372036854775807")) == 0);
  CHECK(Quantity::FromInt(0).Sub(Quantity::FromInt(std::numeric_limits<int64_t>::min()))->ToString() ==
        "9223372036854775808");
  CHECK(Q("1e30").Add(Q("1e-9")) == std::nullopt);  // 40 significant digits
  CHECK(Q("1e100").Sub(Q("1")) == std::nullopt);
  CHECK(Q("1e100").Add(Q("1e100"))->ToString() == "20e99");
  // Adding does not keep the original text.
  CHECK(Q("00100").Add(Q("0"))->ToString() == "100");
}

TEST_CASE("Quantity::FromInt builds Go's NewQuantity", "[quantity]") {
  CHECK(Quantity::FromInt(1000).ToString() == "1e3");
  CHECK(Quantity::FromInt(1000, QuantityFormat::kDecimalSI).ToString() == "1k");
  CHECK(Quantity::FromInt(1024, QuantityFormat::kBinarySI).ToString() == "1Ki");
  CHECK(Quantity::FromInt(1024 * 1024, QuantityFormat::kBinarySI).ToString() == "1Mi");
  CHECK(Quantity::FromInt(1234000, QuantityFormat::kDecimalSI).ToString() == "1234k");
  CHECK(Quantity::FromInt(-5).AsInteger() == -5);
  CHECK(Quantity::FromInt(std::numeric_limits<int64_t>::min()).AsInteger() == std::numeric_limits<int64_t>::min());
  CHECK(Quantity::FromInt(std::numeric_limits<int64_t>::min()).ToString() == "-9223372036854775808");
  CHECK(Quantity().ToString() == "0");
}

}  // namespace
}  // namespace clausegate::cel::ext
