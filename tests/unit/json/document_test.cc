#include <catch2/catch.hpp>

#include "json/document.h"

using clausegate::json::DecodeLimits;
using clausegate::json::Decoder;

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
