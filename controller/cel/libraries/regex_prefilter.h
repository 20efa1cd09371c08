#pragma once
// Strings one of which every match of a regular expression contains (RE2's
// prefilter): a text with none of them cannot match, and most texts a policy tests
// do not. Checking for them costs a pass over the text; a search costs RE2's
// per-call setup on top.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

namespace clausegate::cel {

class RegexPrefilter {
 public:
  // None when every text might match (the expression requires no string of a useful
  // length) or when its strings are not plain ASCII.
  static std::optional<RegexPrefilter> Of(std::string_view pattern, const RE2::Options& options);

  // False: the text cannot match. True: it might.
  bool MayMatch(std::string_view text) const;

  const std::vector<std::string>& atoms() const { return atoms_; }

 private:
  std::vector<std::string> atoms_;  // lowercase ASCII, compared case-insensitively
  // The first two bytes of each atom in either case, a bit for each pair of ASCII
  // bytes: most places in a text are passed over on one bit.
  std::array<uint64_t, 256> starts_{};
};

}  // namespace clausegate::cel
