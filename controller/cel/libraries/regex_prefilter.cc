#include "cel/libraries/regex_prefilter.h"

#include <array>
#include <cstdint>
#include <cstring>

#include <re2/filtered_re2.h>

namespace clausegate::cel {
namespace {

// Shorter strings filter little and cost a comparison at many places.
constexpr int kMinAtomLength = 3;

constexpr unsigned char LowerAscii(unsigned char c) {
  return static_cast<unsigned char>(c | (static_cast<unsigned>(c - 'A') < 26u ? 0x20 : 0));
}
constexpr unsigned char UpperAscii(unsigned char c) {
  return static_cast<unsigned char>(c & (static_cast<unsigned>(c - 'a') < 26u ? 0xDF : 0xFF));
}

// Two adjacent ASCII bytes as one index into the pair table.
unsigned Pair(unsigned char a, unsigned char b) { return unsigned{a} << 7 | b; }

// Eight bytes at a time; the last word ends the text (overlapping what was read).
bool IsAscii(const unsigned char* t, size_t n) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  if (n < 8) {
    unsigned any = 0;
    for (size_t i = 0; i < n; ++i) any |= t[i];
    return (any & 0x80) == 0;
  }
  uint64_t any = 0, w;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&w, t + i, sizeof w);
    any |= w;
  }
  std::memcpy(&w, t + n - 8, sizeof w);
  return ((any | w) & kHigh) == 0;
}

}  // namespace

std::optional<RegexPrefilter> RegexPrefilter::Of(std::string_view pattern, const RE2::Options& options) {
  re2::FilteredRE2 filter(kMinAtomLength);
  int id = 0;
  if (filter.Add(re2::StringPiece(pattern.data(), pattern.size()), options, &id) != RE2::NoError) return std::nullopt;
  RegexPrefilter p;
  filter.Compile(&p.atoms_);
  // With none of the strings found, the expression still passes: it requires none.
  std::vector<int> potential;
  filter.AllPotentials({}, &potential);
  if (!potential.empty() || p.atoms_.empty()) return std::nullopt;
  for (const auto& a : p.atoms_) {
    for (char c : a) {
      // The strings are lowercased by Unicode rules; only ASCII ones compare here.
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
    }
    if (a.size() < 2) return std::nullopt;
    // The atom's first two bytes in either case: the text is scanned as it is.
    auto a0 = static_cast<unsigned char>(a[0]), a1 = static_cast<unsigned char>(a[1]);
    for (unsigned char c0 : {LowerAscii(a0), UpperAscii(a0)}) {
      for (unsigned char c1 : {LowerAscii(a1), UpperAscii(a1)}) {
        unsigned pair = Pair(c0, c1);
        p.starts_[pair >> 6] |= uint64_t{1} << (pair & 63);
      }
    }
  }
  return p;
}

bool RegexPrefilter::MayMatch(std::string_view text) const {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  if (n == 0) return false;
  // Outside ASCII, case folding is Unicode's (the Kelvin sign folds to k): search.
  if (!IsAscii(t, n)) return true;
  unsigned prev = t[0];
  for (size_t i = 1; i < n; ++i) {
    unsigned cur = t[i];
    unsigned pair = prev << 7 | cur;
    prev = cur;
    if (!(starts_[pair >> 6] >> (pair & 63) & 1)) continue;
    for (const auto& a : atoms_) {
      if (a.size() > n - (i - 1)) continue;
      size_t k = 0;
      while (k < a.size() && static_cast<unsigned char>(a[k]) == LowerAscii(t[i - 1 + k])) ++k;
      if (k == a.size()) return true;
    }
  }
  return false;
}

}  // namespace clausegate::cel
