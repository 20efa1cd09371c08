#include "cel/runtime/cost.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/utf8.h"

namespace clausegate::cel {
namespace {

uint64_t Seed() {
  const char* s = std::getenv("CLAUSEGATE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261207;
}

// Strings of one to four bytes a code point, around the lengths where the price of
// a comparison changes (ten code points, forty bytes).
std::string Generated(std::mt19937_64& rng) {
  static const std::string_view pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  std::string out;
  size_t n = rng() % 3 == 0 ? rng() % 4 : rng() % 45;
  for (size_t i = 0; i < n; ++i) out += pieces[rng() % (rng() % 2 ? 1 : std::size(pieces))];
  return out;
}

TEST_CASE("cost: comparing two strings costs a tenth of the shorter's code points, rounded up", "[cel][cost]") {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    std::array<Value, 2> args{Value::String(Generated(rng)), Value::String(Generated(rng))};
    uint64_t shorter = std::min(utf8::Length(args[0].string_value()), utf8::Length(args[1].string_value()));
    auto want = static_cast<uint64_t>(std::ceil(static_cast<double>(shorter) * 0.1));
    INFO("seed " << seed << " sizes " << args[0].string_value().size() << ", " << args[1].string_value().size());
    CHECK(CostOfCall(CallCost::kEquals, args, Value(), UINT64_MAX) == want);
    CHECK(CostOfCall(CallCost::kTenthOfSmaller, args, Value(), UINT64_MAX) == want);
    CHECK(EqualityCost(args, false, UINT64_MAX) == want);
    CHECK(EqualityCost(args, true, UINT64_MAX) == want);
  }
}

TEST_CASE("cost: == and != price every pair of kinds as the general rule does", "[cel][cost]") {
  std::vector<Value> values{Value::Null(),
                            Value::Bool(true),
                            Value::Int(-3),
                            Value::Uint(7),
                            Value::Double(2.5),
                            Value::String(""),
                            Value::String("short"),
                            Value::String("a string of more than ten bytes"),
                            Value::String("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"),
                            Value::Bytes("bytes"),
                            Value::List({Value::Int(1), Value::Int(2)}),
                            Value::Map({{Value::String("k"), Value::Int(1)}}),
                            Value::Optional(Value::String("twelve bytes")),
                            Value::OptionalNone()};
  for (const Value& l : values) {
    for (const Value& r : values) {
      std::array<Value, 2> args{l, r};
      INFO(ValueToString(l) << " == " << ValueToString(r));
      CHECK(EqualityCost(args, false, UINT64_MAX) == CostOfCall(CallCost::kEquals, args, Value(), UINT64_MAX));
      CHECK(EqualityCost(args, true, UINT64_MAX) == CostOfCall(CallCost::kTenthOfSmaller, args, Value(), UINT64_MAX));
    }
  }
}

}  // namespace
}  // namespace clausegate::cel
