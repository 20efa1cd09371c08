#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "json/document.h"
#include "json/key_index.h"

using clausegate::json::Decoder;
using clausegate::json::HashedKey;
using clausegate::json::KeyIndex;
using clausegate::json::KeyOrder;

namespace {

// An element's place in its document's tape (dom::element is a document pointer and
// a tape index; see cel::Value::json_identity).
uint32_t TapeIndex(simdjson::dom::element e) {
  uint64_t words[2];
  std::memcpy(words, static_cast<const void*>(&e), sizeof words);
  return static_cast<uint32_t>(words[1]);
}

const char* kKeys[] = {"a", "b", "", "containerPort", "containerPorts", "securityContext", "securityContexT",
                       "readOnlyRootFilesystem", "readOnlyRootFilesystemX", "name", "é", "k1234567", "k1234568",
                       "k12345678", "allowPrivilegeEscalation"};

// Random JSON: keys of equal lengths and shared prefixes, nested and wide objects,
// every kind of value; `repeats` lets an object give a key twice.
void Generate(std::mt19937_64& rng, int depth, bool repeats, std::string* out) {
  int pick = depth > 4 ? static_cast<int>(rng() % 4) : static_cast<int>(rng() % 7);
  switch (pick) {
    case 0: *out += std::to_string(static_cast<int64_t>(rng() % 2000) - 1000); break;
    case 1: *out += (rng() % 2) ? "18446744073709551615" : "2.5e3"; break;
    case 2: *out += (rng() % 3 == 0) ? "null" : (rng() % 2 ? "true" : "false"); break;
    case 3: *out += std::string("\"") + kKeys[rng() % std::size(kKeys)] + "\""; break;
    case 4: {
      *out += '[';
      for (size_t i = 0, n = rng() % 4; i < n; ++i) {
        if (i) *out += ',';
        Generate(rng, depth + 1, repeats, out);
      }
      *out += ']';
      break;
    }
    default: {
      *out += '{';
      bool wide = rng() % 8 == 0;
      size_t n = wide ? 17 + rng() % 60 : rng() % 8;
      std::set<std::string> used;
      for (size_t i = 0; i < n; ++i) {
        std::string key = wide && rng() % 16 ? "w" + std::to_string(rng() % 400) : kKeys[rng() % std::size(kKeys)];
        if (!used.insert(key).second && !repeats) continue;
        if (out->back() != '{') *out += ',';
        *out += "\"" + key + "\":";
        Generate(rng, depth + 1, repeats, out);
      }
      *out += '}';
    }
  }
}

// Every object of `e`: each of its keys is found where a scan finds it, and keys
// it lacks are not found.
void CheckLookups(const KeyIndex& index, simdjson::dom::element e, size_t* checked) {
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    for (auto x : simdjson::dom::array(e)) CheckLookups(index, x, checked);
    return;
  }
  if (e.type() != simdjson::dom::element_type::OBJECT) return;
  simdjson::dom::object obj(e);
  std::set<std::string_view> present;
  for (auto field : obj) {
    present.insert(field.key);
    INFO("key " << field.key);
    CHECK(index.Find(TapeIndex(e), HashedKey(field.key)) == TapeIndex(field.value));
    ++*checked;
    CheckLookups(index, field.value, checked);
  }
  for (const char* k : kKeys) {
    if (!present.count(k)) CHECK(index.Find(TapeIndex(e), HashedKey(k)) == 0);
  }
  CHECK(index.Find(TapeIndex(e), HashedKey("w400")) == 0);
}

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

uint64_t Seed() {
  const char* s = std::getenv("CLAUSEGATE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261207;
}

}  // namespace

TEST_CASE("key index: every key of generated documents is found where a scan finds it", "[json]") {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  Decoder d;
  size_t checked = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    Generate(rng, 0, false, &text);
    auto doc = d.Decode(text);
    REQUIRE(doc.ok());
    INFO("seed " << seed << " document " << i << ": " << text);
    REQUIRE((*doc)->keys().usable());
    CheckLookups((*doc)->keys(), (*doc)->root(), &checked);
  }
  CHECK(checked > 20000);
}

TEST_CASE("key index: building it finds a key given twice, as a plain walk does", "[json]") {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  Decoder d;
  int repeats = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    Generate(rng, 0, true, &text);
    auto doc = d.Decode(text, KeyOrder::kUnique);  // as it is, repetitions kept
    REQUIRE(doc.ok());
    INFO("seed " << seed << " document " << i << ": " << text);
    bool naive = NaiveRepeats((*doc)->root());
    simdjson::dom::parser parser;
    simdjson::dom::document raw;
    REQUIRE(parser.parse_into_document(raw, text).error() == simdjson::SUCCESS);
    KeyIndex::Built built = KeyIndex::Build(raw);
    REQUIRE(built.indexed);
    CHECK(built.repeated == naive);
    CHECK(clausegate::json::HasRepeatedKeys(**doc) == naive);
    // A document with a repetition has no index: it is decoded again without it.
    CHECK((*doc)->keys().usable() == !naive);
    repeats += naive;
    auto kept = d.Decode(text);
    REQUIRE(kept.ok());
    REQUIRE((*kept)->keys().usable());
    size_t checked = 0;
    CheckLookups((*kept)->keys(), (*kept)->root(), &checked);
  }
  CHECK(repeats > 100);
}

TEST_CASE("key index: past its bound no index is kept, and documents read as before", "[json]") {
  simdjson::dom::parser parser;
  simdjson::dom::document raw;
  REQUIRE(parser.parse_into_document(raw, std::string(R"({"a": 1, "b": {"c": 2, "a": 3}})")).error() == simdjson::SUCCESS);
  KeyIndex::Built small = KeyIndex::Build(raw, 8);
  CHECK_FALSE(small.indexed);
  CHECK_FALSE(small.index.usable());
  CHECK(KeyIndex::Build(raw, 16).index.usable());

  // One object of more tape words than kMaxWords (three a key), the last key given twice: it is found
  // repeated without an index (the walk of old), decoded again, and read by a scan.
  std::string wide = "{";
  for (size_t i = 0; i <= KeyIndex::kMaxWords / 3; ++i) wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  wide += "\"k7\":\"again\"}";
  Decoder d;
  auto doc = d.Decode(wide);
  REQUIRE(doc.ok());
  CHECK_FALSE((*doc)->keys().usable());
  std::string_view k7;
  REQUIRE((*doc)->root()["k7"].get(k7) == simdjson::SUCCESS);
  CHECK(k7 == "again");

  // Just under the bound: indexed, and every key is found.
  std::string big = "{";
  for (size_t i = 0; i < KeyIndex::kMaxWords / 3 - 10; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  big += "}";
  auto b = d.Decode(big);
  REQUIRE(b.ok());
  REQUIRE((*b)->keys().usable());
  size_t checked = 0;
  CheckLookups((*b)->keys(), (*b)->root(), &checked);
  CHECK(checked == KeyIndex::kMaxWords / 3 - 10);
}

TEST_CASE("key index: scalars and arrays at the top, empty objects and empty keys", "[json]") {
  Decoder d;
  for (std::string text : {"1", "\"s\"", "[]", "[{}, {\"\": 1}, [{\"a\": {}}]]", "{}", "{\"\": {\"\": null}}", "null", "-2.5"}) {
    auto doc = d.Decode(text);
    REQUIRE(doc.ok());
    INFO(text);
    size_t checked = 0;
    if ((*doc)->keys().usable()) CheckLookups((*doc)->keys(), (*doc)->root(), &checked);
  }
}
