#include "cel/libraries/regex_prefilter.h"

#include <re2/filtered_re2.h>

namespace clausegate::cel {
namespace {

// Shorter strings filter little and cost a comparison at many places.
constexpr int kMinAtomLength = 3;

unsigned char LowerAscii(unsigned char c) { return static_cast<unsigned char>(c | (static_cast<unsigned>(c - 'A') < 26u ? 0x20 : 0)); }

unsigned Pair(unsigned char a, unsigned char b) { return (LowerAscii(a) & 63u) << 6 | (LowerAscii(b) & 63u); }

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
    unsigned pair = Pair(static_cast<unsigned char>(a[0]), static_cast<unsigned char>(a[1]));
    p.starts_[pair >> 6] |= uint64_t{1} << (pair & 63);
  }
  return p;
}

bool RegexPrefilter::MayMatch(std::string_view text) const {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    // Outside ASCII, case folding is Unicode's (the Kelvin sign folds to k): search.
    if (t[i] >= 0x80) return true;
    if (i + 1 == n) break;
    unsigned pair = Pair(t[i], t[i + 1]);
    if (!(starts_[pair >> 6] >> (pair & 63) & 1)) continue;
    for (const auto& a : atoms_) {
      if (a.size() > n - i) continue;
      size_t k = 0;
      while (k < a.size() && static_cast<unsigned char>(a[k]) == LowerAscii(t[i + k])) ++k;
      if (k == a.size()) return true;
    }
  }
  return false;
}

}  // namespace clausegate::cel
