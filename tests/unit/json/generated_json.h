#pragma once
// Generated JSON for the decoder's tests: documents that stress key handling, the
// plain reading of "an object gives a key twice", and the seed (CLAUSEGATE_SEED).

#include <cstdint>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <simdjson.h>

namespace clausegate::json::testing {

inline const char* const kKeys[] = {"a", "b", "", "containerPort", "containerPorts", "securityContext",
                                    "securityContexT", "readOnlyRootFilesystem", "readOnlyRootFilesystemX", "name", "é",
                                    "k1234567", "k1234568", "k12345678", "allowPrivilegeEscalation"};

// Random JSON: keys of equal lengths and shared prefixes, nested and wide objects,
// every kind of value; `repeats` lets an object give a key twice.
inline void Generate(std::mt19937_64& rng, int depth, bool repeats, std::string* out) {
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

// The plain reading of "some object gives a key twice", over simdjson's DOM.
inline bool NaiveRepeats(simdjson::dom::element e) {
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

inline uint64_t Seed() {
  const char* s = std::getenv("CLAUSEGATE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261207;
}


// Calls f(text) for `n` generated documents, from Seed(); a failure names the seed,
// the document's number and its text.
template <typename F>
void ForGenerated(int n, bool repeats, F&& f) {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    std::string text;
    Generate(rng, 0, repeats, &text);
    INFO("seed " << seed << " document " << i << ": " << text);
    f(text);
  }
}

}  // namespace clausegate::json::testing
