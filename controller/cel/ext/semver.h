#pragma once
// Semantic versions for the Kubernetes CEL semver library (isSemver(), semver(),
// major(), minor(), patch(), compareTo(), isGreaterThan(), isLessThan()), parsed
// as blang/semver's Parse does: MAJOR.MINOR.PATCH without leading zeros, then
// -pre.release and +build identifiers. With `normalize` (semver(s, true)), as
// Kubernetes normalises first: a leading "v" dropped, leading zeros removed, a
// missing minor or patch filled with 0 (not when the short form carries -pre or
// +build).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::cel::ext {

struct Semver {
  uint64_t major = 0, minor = 0, patch = 0;
  struct Pre {
    bool numeric = false;
    uint64_t number = 0;
    std::string text;
  };
  std::vector<Pre> pre;
  std::vector<std::string> build;

  // -1, 0 or 1, by precedence (build metadata does not count).
  int Compare(const Semver& other) const;
  std::string ToString() const;
};

std::optional<Semver> ParseSemver(std::string_view text, bool normalize, std::string* error = nullptr);

}  // namespace clausegate::cel::ext
