#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>

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

namespace {

// The plain reading of "some object gives a key twice", over simdjson's DOM.
bool NaiveRepeats(simdjson::dom::element e) {
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    for (auto x : simdjson::dom::array(e)) {
      if (NaiveRepeats(x)) return true;
    }
    return false;
  }
  if (e.type() != simdjson::dom::element_type::OBJECT) return false;
  std::set<std::string_view> seen;
  for (auto field : simdjson::dom::object(e)) {
    if (!seen.insert(field.key).second || NaiveRepeats(field.value)) return true;
  }
  return false;
}

// Random JSON with keys that share long prefixes and lengths, strings as values that
// equal keys, numbers of each kind, and wide objects; repeats happen by chance.
void Generate(std::mt19937_64& rng, int depth, std::string* out) {
  static const char* kKeys[] = {"a", "b", "containerPort", "containerPorts", "securityContext", "securityContexT",
                                "readOnlyRootFilesystem", "readOnlyRootFilesystemX", "name", "é", "k1234567", "k1234568"};
  int pick = depth > 4 ? static_cast<int>(rng() % 4) : static_cast<int>(rng() % 7);
  switch (pick) {
    case 0: *out += std::to_string(static_cast<int64_t>(rng() % 2000) - 1000); break;
    case 1: *out += (rng() % 2) ? "18446744073709551615" : "2.5e3"; break;
    case 2: *out += (rng() % 3 == 0) ? "null" : (rng() % 2 ? "true" : "false"); break;
    case 3: *out += std::string("\"") + kKeys[rng() % std::size(kKeys)] + "\""; break;
    case 4: {
      *out += '[';
      size_t n = rng() % 4;
      for (size_t i = 0; i < n; ++i) {
        if (i) *out += ',';
        Generate(rng, depth + 1, out);
      }
      *out += ']';
      break;
    }
    default: {
      *out += '{';
      bool wide = rng() % 8 == 0;
      size_t n = wide ? 17 + rng() % 20 : rng() % 6;
      for (size_t i = 0; i < n; ++i) {
        if (i) *out += ',';
        std::string key = wide && rng() % 16 ? "w" + std::to_string(rng() % 400) : kKeys[rng() % std::size(kKeys)];
        *out += "\"" + key + "\":";
        Generate(rng, depth + 1, out);
      }
      *out += '}';
    }
  }
}

}  // namespace

TEST_CASE("decoder: repeated keys are found as a plain walk finds them, on generated documents", "[json]") {
  uint64_t seed = 17;
  if (const char* s = std::getenv("CLAUSEGATE_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::mt19937_64 rng(seed);
  Decoder d;
  int repeats = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    Generate(rng, 0, &text);
    auto as_is = d.Decode(text, clausegate::json::KeyOrder::kUnique);
    REQUIRE(as_is.ok());
    bool naive = NaiveRepeats((*as_is)->root());
    INFO("seed " << seed << " document " << i << ": " << text);
    REQUIRE(clausegate::json::HasRepeatedKeys(**as_is) == naive);
    repeats += naive;
    auto kept = d.Decode(text);
    REQUIRE(kept.ok());
    CHECK_FALSE(NaiveRepeats((*kept)->root()));
  }
  CHECK(repeats > 100);  // the generator does make them
}
