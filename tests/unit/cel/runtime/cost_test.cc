#include "cel/runtime/cost.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

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
  }
}

}  // namespace
}  // namespace clausegate::cel
