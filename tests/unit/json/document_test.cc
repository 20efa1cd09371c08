#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>

#include "generated_json.h"
#include "json/document.h"

using clausegate::json::DecodeLimits;
using clausegate::json::Decoder;
using namespace clausegate::json::testing;

TEST_CASE("decoder: documents outlive the decoder's next use", "[json]") {
  Decoder d;
  auto a = d.Decode(R"({"x": "first"})");
  auto b = d.Decode(R"({"x": "second", "pad": [1,2,3,4,5,6,7,8,9]})");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(std::string_view((*a)->root()["x"]) == "first");
  CHECK(std::string_view((*b)->root()["x"]) == "second");
}

TEST_CASE("decoder: bad input is an error value", "[json]") {
  Decoder d;
  CHECK_FALSE(d.Decode("{").ok());
  CHECK_FALSE(d.Decode("not json").ok());
  CHECK_FALSE(d.Decode("").ok());
  DecodeLimits small;
  small.max_bytes = 8;
  Decoder s(small);
  auto r = s.Decode(R"({"a": "long enough"})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == clausegate::StatusCode::kResourceExhausted);
  DecodeLimits shallow;
  shallow.max_depth = 4;
  Decoder sh(shallow);
  CHECK(sh.Decode(R"({"a": {"b": 1}})").ok());
  CHECK_FALSE(sh.Decode(R"({"a": {"b": {"c": {"d": {"e": 1}}}}})").ok());
}

TEST_CASE("decoder: a key given twice keeps its last value, as Kubernetes decodes it", "[json]") {
  Decoder d;
  auto doc = d.Decode(R"({"a": 1, "b": {"x": [1, {"k": "first", "k": "last"}]}, "a": {"deep": true}})");
  REQUIRE(doc.ok());
  CHECK(simdjson::minify((*doc)->root()) == R"({"b":{"x":[1,{"k":"last"}]},"a":{"deep":true}})");
  // Objects past the small-object scan are checked too.
  std::string wide = "{";
  for (int i = 0; i < 40; ++i) wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  wide += "\"k3\":\"again\"}";
  auto w = d.Decode(wide);
  REQUIRE(w.ok());
  std::string_view k3;
  REQUIRE((*w)->root()["k3"].get(k3) == simdjson::SUCCESS);
  CHECK(k3 == "again");
  // Documents without repetitions are left as they are.
  auto plain = d.Decode(R"({"a": 1.5e3, "s": "x\u00e9\n"})");
  REQUIRE(plain.ok());
  CHECK(simdjson::minify((*plain)->root()) == R"({"a":1500.0,"s":"xé\n"})");
}

TEST_CASE("decoder: repeated keys are found as a plain walk finds them, on generated documents", "[json]") {
  Decoder d;
  int repeats = 0;
  ForGenerated(4000, true, [&](const std::string& text) {
    auto as_is = d.Decode(text, clausegate::json::KeyOrder::kUnique);
    REQUIRE(as_is.ok());
    bool naive = NaiveRepeats((*as_is)->root());
    REQUIRE(clausegate::json::HasRepeatedKeys(**as_is) == naive);
    repeats += naive;
    auto kept = d.Decode(text);
    REQUIRE(kept.ok());
    CHECK_FALSE(NaiveRepeats((*kept)->root()));
  });
  CHECK(repeats > 100);  // the generator does make them
}
