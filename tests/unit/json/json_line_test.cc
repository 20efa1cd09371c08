#include "json/json_line.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace clausegate::json {
namespace {

uint64_t Seed() {
  const char* s = std::getenv("CLAUSEGATE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261207;
}

std::string Quoted(std::string_view s) { return JsonQuote(s); }

// Bytes of every kind: controls, quotes, backslashes, ASCII, valid sequences of two
// to four bytes, and broken ones.
std::string Generated(std::mt19937_64& rng) {
  static const std::string_view pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                            "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xe2\x82",
                                            "\x80", "\xff", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"};
  std::string out;
  size_t n = rng() % 12;
  for (size_t i = 0; i < n; ++i) out += pieces[rng() % std::size(pieces)];
  return out;
}

TEST_CASE("json line: strings are written as the JSON library writes them", "[json]") {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = Generated(rng);
    INFO("seed " << seed << " string " << nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
    std::string q = Quoted(s);
    // Always one valid JSON string, whatever the bytes.
    auto parsed = nlohmann::json::parse(q, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    REQUIRE(parsed.is_string());
    if (nlohmann::json::parse(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), nullptr,
                              false) == parsed &&
        parsed.get<std::string>() == s) {
      ++valid;
      CHECK(q == nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict));
    }
  }
  CHECK(valid > 1000);
}

TEST_CASE("json line: fields in the order given", "[json]") {
  std::string line = JsonLine()
                         .String("msg", "decision")
                         .Int("micros", -5)
                         .Bool("dryRun", true)
                         .Strings("rules", {"a/b:deny", "c\"d"})
                         .Strings("none", {})
                         .Take();
  CHECK(line == R"({"msg":"decision","micros":-5,"dryRun":true,"rules":["a/b:deny","c\"d"],"none":[]})");
  CHECK(JsonLine().Take() == "{}");
  std::string nested = JsonLine()
                           .String("a", "x")
                           .Object("o")
                           .Object("empty")
                           .End()
                           .Int("n", 1)
                           .Object("p")
                           .Bool("t", false)
                           .End()
                           .End()
                           .Strings("z", {"w"})
                           .Take();
  CHECK(nested == R"({"a":"x","o":{"empty":{},"n":1,"p":{"t":false}},"z":["w"]})");
  CHECK(nlohmann::json::parse(nested).dump() == nested);
  CHECK(Quoted("\xc3\xa9\xff") == "\"\xc3\xa9\\ufffd\"");
}

}  // namespace
}  // namespace clausegate::json
