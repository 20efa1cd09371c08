#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "generated_json.h"
#include "json/document.h"
#include "json/key_index.h"

using clausegate::json::Decoder;
using clausegate::json::HashedKey;
using clausegate::json::KeyIndex;
using clausegate::json::KeyOrder;
using namespace clausegate::json::testing;

namespace {

// An element's place in its document's tape (dom::element is a document pointer and
// a tape index; see cel::Value::json_identity).
uint32_t TapeIndex(simdjson::dom::element e) {
  uint64_t words[2];
  std::memcpy(words, static_cast<const void*>(&e), sizeof words);
  return static_cast<uint32_t>(words[1]);
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

// Every object of `e`, as the start of paths of one to four keys: Follow ends where
// looking the keys up one after another through simdjson's own at_key ends.
void CheckPaths(const KeyIndex& index, simdjson::dom::element e, std::mt19937* rng, size_t* checked) {
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    for (auto x : simdjson::dom::array(e)) CheckPaths(index, x, rng, checked);
    return;
  }
  if (e.type() != simdjson::dom::element_type::OBJECT) return;
  for (int n = 0; n < 4; ++n) {
    std::vector<std::string> texts;
    for (size_t k = 0, len = 1 + (*rng)() % 4; k < len; ++k) texts.emplace_back(kKeys[(*rng)() % std::size(kKeys)]);
    std::vector<HashedKey> keys;
    for (const auto& t : texts) keys.emplace_back(t);
    simdjson::dom::element at = e;
    size_t found = 0;
    for (const auto& t : texts) {
      if (at.type() != simdjson::dom::element_type::OBJECT) break;
      simdjson::dom::element next;
      if (simdjson::dom::object(at).at_key(t).get(next) != simdjson::SUCCESS) break;
      at = next;
      ++found;
    }
    KeyIndex::Followed r = index.Follow(TapeIndex(e), keys);
    INFO("path of " << texts.size() << " keys, " << found << " found");
    CHECK(r.found == found);
    CHECK(r.at == TapeIndex(at));
    CHECK((index.TypeAt(r.at) == '[') == (at.type() == simdjson::dom::element_type::ARRAY));
    ++*checked;
  }
  for (auto field : simdjson::dom::object(e)) CheckPaths(index, field.value, rng, checked);
}

}  // namespace

TEST_CASE("key index: a path of keys ends where lookups one after another end", "[json]") {
  Decoder d;
  std::mt19937 rng(7);
  size_t checked = 0;
  ForGenerated(2000, false, [&](const std::string& text) {
    auto doc = d.Decode(text);
    REQUIRE(doc.ok());
    REQUIRE((*doc)->keys().usable());
    CheckPaths((*doc)->keys(), (*doc)->root(), &rng, &checked);
  });
  CHECK(checked > 20000);
  // No keys: the walk stays where it starts.
  auto doc = d.Decode(R"({"a": {"b": [1]}})");
  REQUIRE(doc.ok());
  KeyIndex::Followed r = (*doc)->keys().Follow(TapeIndex((*doc)->root()), {});
  CHECK(r.found == 0);
  CHECK(r.at == TapeIndex((*doc)->root()));
}

TEST_CASE("key index: every key of generated documents is found where a scan finds it", "[json]") {
  Decoder d;
  size_t checked = 0;
  ForGenerated(3000, false, [&](const std::string& text) {
    auto doc = d.Decode(text);
    REQUIRE(doc.ok());
    REQUIRE((*doc)->keys().usable());
    CheckLookups((*doc)->keys(), (*doc)->root(), &checked);
  });
  CHECK(checked > 20000);
}

TEST_CASE("key index: the walk measures the string buffer in use, as a scan of every string does", "[json]") {
  // The decoder copies a parsed document at its size with what the walk measured;
  // the copy must read as the text does.
  Decoder d;
  simdjson::dom::parser parser;
  size_t measured = 0;
  auto check = [&](const std::string& text) {
    simdjson::dom::document raw;
    REQUIRE(parser.parse_into_document(raw, text).error() == simdjson::SUCCESS);
    KeyIndex::Built built = KeyIndex::Build(raw);
    REQUIRE(built.indexed);
    const uint64_t* tape = raw.tape.get();
    size_t words = static_cast<size_t>(tape[0] & 0x00FFFFFFFFFFFFFFULL) + 1, used = 0;
    for (size_t i = 1; i + 1 < words; ++i) {
      char type = static_cast<char>(tape[i] >> 56);
      if (type == 'l' || type == 'u' || type == 'd') {
        ++i;
      } else if (type == '"') {
        size_t at = static_cast<size_t>(tape[i] & 0x00FFFFFFFFFFFFFFULL);
        uint32_t size;
        std::memcpy(&size, raw.string_buf.get() + at, sizeof size);
        used = std::max(used, at + sizeof size + size + 1);
      }
    }
    INFO(text);
    if (!built.repeated) {
      REQUIRE(built.string_bytes.has_value());
      CHECK(*built.string_bytes == used);
      measured += used != 0;
    }
    auto doc = d.Decode(text);
    REQUIRE(doc.ok());
    CHECK(simdjson::minify((*doc)->root()) == simdjson::minify(raw.root()));
  };
  ForGenerated(2000, false, check);
  for (std::string text : {"1", "\"s\"", "[]", "{}", "{\"\": \"\"}", "[1, 2.5, -3, 18446744073709551615]",
                           "{\"a\": \"\\u00e9\\n\\\"\", \"b\": [\"x\", 1e300, {\"c\": \"last\"}], \"d\": 7}"}) {
    check(text);
  }
  CHECK(measured > 500);
}

TEST_CASE("key index: building it finds a key given twice, as a plain walk does", "[json]") {
  Decoder d;
  int repeats = 0;
  ForGenerated(3000, true, [&](const std::string& text) {
    auto doc = d.Decode(text, KeyOrder::kUnique);  // as it is, repetitions kept
    REQUIRE(doc.ok());
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
  });
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

TEST_CASE("key index: a document nested past the walk's depth gets no index, and nothing breaks", "[json]") {
  // The decoder refuses such nesting long before (Limits::max_depth); a parser of its
  // own reaches the walk's bound, both through objects and through arrays.
  for (const char* open : {"{\"a\":", "["}) {
    INFO(open);
    std::string close = open[0] == '{' ? "}" : "]";
    std::string text;
    const int levels = KeyIndex::kMaxDepth + 50;
    for (int i = 0; i < levels; ++i) text += open;
    text += "1";
    for (int i = 0; i < levels; ++i) text += close;
    simdjson::dom::parser parser(text.size() + 64);
    REQUIRE(parser.allocate(text.size(), static_cast<size_t>(levels) + 10) == simdjson::SUCCESS);
    simdjson::dom::document raw;
    REQUIRE(parser.parse_into_document(raw, text).error() == simdjson::SUCCESS);
    KeyIndex::Built built = KeyIndex::Build(raw);
    CHECK_FALSE(built.index.usable());
    CHECK_FALSE(built.repeated);
    CHECK_FALSE(built.string_bytes.has_value());
  }
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

TEST_CASE("key index: keys alike in length, first and last eight bytes are told apart", "[json]") {
  // A key of up to 16 bytes is matched on the slot alone (size, first and last eight
  // bytes); a longer one also on the bytes between, and a NUL is a byte like any other.
  Decoder d;
  const std::string text =
      "{\"readOnlyRootFilesystem\": 1, \"readOnlyXXXXFilesystem\": 2, \"readOnlyRootFilesystemm\": 3,"
      " \"a\": 4, \"a\\u0000\": 5, \"a\\u0000\\u0000\": 6, \"k1234567\": 7, \"k12345678\": 8,"
      " \"abcdefghijklmnop\": 9, \"abcdefghXjklmnop\": 10, \"abcdefghijklmnopq\": 11, \"abcdefgh_ijklmnopq\": 12}";
  auto doc = d.Decode(text);
  REQUIRE(doc.ok());
  REQUIRE((*doc)->keys().usable());
  size_t checked = 0;
  CheckLookups((*doc)->keys(), (*doc)->root(), &checked);
  CHECK(checked == 12);
  uint32_t root = TapeIndex((*doc)->root());
  for (std::string absent : {std::string("readOnlyRootFilesysteX"), std::string("readOnlyYYYYFilesystem"),
                             std::string("a\0\0\0", 4), std::string("abcdefghijklmnoX"), std::string("abcdefgh_ijklmnopX"),
                             std::string("abcdefgh-ijklmnopq")}) {
    INFO(absent);
    CHECK((*doc)->keys().Find(root, HashedKey(absent)) == 0);
  }
}

TEST_CASE("key index: one key in thousands of objects is found in each object, never in another", "[json]") {
  // A slot keeps the key's hash mixed with its object in 32 bits; for one key no two
  // objects share a tag, so a lookup never lands on a namesake of another object.
  std::string text = "[";
  for (int i = 0; i < 5000; ++i) {
    text += (i ? "," : "") + std::string(R"({"name": )") + std::to_string(i) + R"(, "inner": {"name": )" +
            std::to_string(-i) + "}}";
  }
  text += "]";
  Decoder d;
  auto doc = d.Decode(text);
  REQUIRE(doc.ok());
  REQUIRE((*doc)->keys().usable());
  const KeyIndex& index = (*doc)->keys();
  HashedKey name("name"), inner("inner"), absent("nam");
  int64_t i = 0, wrong = 0;
  for (auto e : simdjson::dom::array((*doc)->root())) {
    simdjson::dom::element own = e["name"].value_unsafe(), nested = e["inner"].value_unsafe();
    if (index.Find(TapeIndex(e), name) != TapeIndex(own) || int64_t(own) != i) ++wrong;
    if (index.Find(TapeIndex(nested), name) != TapeIndex(nested["name"].value_unsafe())) ++wrong;
    if (index.Find(TapeIndex(e), inner) != TapeIndex(nested) || index.Find(TapeIndex(e), absent) != 0) ++wrong;
    ++i;
  }
  CHECK(i == 5000);
  CHECK(wrong == 0);
}
