#include "cel/libraries/regex_prefilter.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using clausegate::cel::RegexPrefilter;

namespace {

RE2::Options Options() {
  RE2::Options opts;
  opts.set_log_errors(false);
  return opts;
}

uint64_t Seed() {
  const char* s = std::getenv("CLAUSEGATE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261207;
}

// The shipped library's patterns and ones that stress case folding, alternation,
// repetition and classes.
const std::vector<std::string> kPatterns = {
    "(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|SECRET_?KEY|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)$",
    "(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|"
    "eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.)",
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "(?i)kelvin",
    "(?i)k[a-c]b",
    "abc|def",
    "(abc)+x?yz",
    "a.c",
    "colou?r",
    "ß",
    "(?i)straße",
    "^$",
    "x*",
    "[[:upper:]]{3}",
    "\\bword\\b",
    "AB(CD|EF)GH",
    "(?s)BEGIN.*END",
};

// Texts near the patterns: their literals in pieces, cased at random, among noise,
// with some bytes from outside ASCII (the Kelvin sign, ß, invalid UTF-8).
std::string Text(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {
      "PASSWORD", "password", "PassWord", "_", "TOKEN", "AUTH", "SECRET_KEY", "API", "KEY", "-----BEGIN ",
      "RSA PRIVATE KEY-----", "AKIA", "ABCDEFGHIJKLMNOP", "ghp_", "xoxb-", "eyJ", "abcdefghijk", ".",
      "kelvin", "\xe2\x84\xaa" "elvin", "kab", "\xe2\x84\xaa" "ab", "abc", "def", "xyz", "colour", "color",
      "\xc3\x9f", "STRASSE", "stra\xc3\x9f" "e", "word", " ", "AB", "CD", "EF", "GH", "END", "\n", "\xff",
      "LOG_LEVEL", "8080", "info", "x", "a", "c", "z", "0", "-"};
  std::string out;
  int n = static_cast<int>(rng() % 7);
  for (int i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      out += static_cast<char>(0x20 + rng() % 95);
      continue;
    }
    std::string p = pieces[rng() % pieces.size()];
    if (rng() % 3 == 0) {
      for (char& c : p) {
        if (rng() % 2 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        else if (rng() % 2 && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
    out += p;
  }
  return out;
}

}  // namespace

TEST_CASE("regex prefilter: a text it rejects never matches", "[cel][regex]") {
  uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  int filtered = 0, rejected = 0;
  for (const auto& pattern : kPatterns) {
    RE2 re(pattern, Options());
    REQUIRE(re.ok());
    auto filter = RegexPrefilter::Of(pattern, Options());
    if (!filter) continue;
    ++filtered;
    for (int i = 0; i < 5000; ++i) {
      std::string text = Text(rng);
      if (filter->MayMatch(text)) continue;
      ++rejected;
      INFO("seed " << seed << " pattern " << pattern << " text \"" << text << "\"");
      CHECK_FALSE(RE2::PartialMatch(text, re));
    }
  }
  CHECK(filtered >= 8);
  CHECK(rejected > 10000);
}

TEST_CASE("regex prefilter: what it keeps and what it rejects", "[cel][regex]") {
  auto names = RegexPrefilter::Of(kPatterns[0], Options());
  REQUIRE(names.has_value());
  CHECK_FALSE(names->MayMatch("LOG_LEVEL"));
  CHECK_FALSE(names->MayMatch("HTTP_PORT"));
  CHECK(names->MayMatch("DB_PASSWORD"));
  CHECK(names->MayMatch("db_password"));  // compared without case: only ever too many
  auto values = RegexPrefilter::Of(kPatterns[1], Options());
  REQUIRE(values.has_value());
  CHECK_FALSE(values->MayMatch("info"));
  CHECK(values->MayMatch("AKIAABCDEFGHIJKLMNOP"));
  // Outside ASCII the search decides: the Kelvin sign matches (?i)k.
  auto kelvin = RegexPrefilter::Of("(?i)kelvin", Options());
  REQUIRE(kelvin.has_value());
  CHECK(kelvin->MayMatch("\xe2\x84\xaa" "elvin"));
  CHECK(RE2::PartialMatch("\xe2\x84\xaa" "elvin", RE2("(?i)kelvin")));
  // Patterns every text may match have no prefilter.
  CHECK_FALSE(RegexPrefilter::Of("x*", Options()).has_value());
  CHECK_FALSE(RegexPrefilter::Of("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", Options()).has_value());
}
