#include "cel/ext/semver.h"

#include <cerrno>
#include <cstdlib>

namespace clausegate::cel::ext {
namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
bool AlphaNumeric(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}
bool LeadingZero(std::string_view s) { return s.size() > 1 && s[0] == '0'; }

std::vector<std::string_view> Split(std::string_view s, char sep, size_t max = SIZE_MAX) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max) {
    size_t i = s.find(sep);
    if (i == std::string_view::npos) break;
    out.push_back(s.substr(0, i));
    s.remove_prefix(i + 1);
  }
  out.push_back(s);
  return out;
}

std::optional<uint64_t> Number(std::string_view s, const char* what, std::string* error) {
  auto fail = [&](std::string m) -> std::optional<uint64_t> {
    if (error) *error = std::move(m);
    return std::nullopt;
  };
  if (!AllDigits(s)) return fail(std::string("Invalid character(s) found in ") + what + " number \"" + std::string(s) + "\"");
  if (LeadingZero(s)) {
    std::string word(what);
    word[0] = static_cast<char>(word[0] - 'a' + 'A');  // "Major number must not ...", as blang/semver says it
    return fail(word + " number must not contain leading zeroes \"" + std::string(s) + "\"");
  }
  if (s.empty() || s.size() > 20) return fail("strconv.ParseUint: parsing \"" + std::string(s) + "\": invalid syntax");
  errno = 0;
  std::string t(s);
  unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
  if (errno == ERANGE) return fail("strconv.ParseUint: parsing \"" + t + "\": value out of range");
  return v;
}

std::optional<Semver> Parse(std::string_view s, std::string* error) {
  auto fail = [&](std::string m) -> std::optional<Semver> {
    if (error) *error = std::move(m);
    return std::nullopt;
  };
  if (s.empty()) return fail("Version string empty");
  auto parts = Split(s, '.', 3);
  if (parts.size() != 3) return fail("No Major.Minor.Patch elements found");
  Semver v;
  auto major = Number(parts[0], "major", error);
  if (!major) return std::nullopt;
  auto minor = Number(parts[1], "minor", error);
  if (!minor) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  std::string_view patch = parts[2];
  std::vector<std::string_view> build, pre;
  if (size_t b = patch.find('+'); b != std::string_view::npos) {
    build = Split(patch.substr(b + 1), '.');
    patch = patch.substr(0, b);
  }
  if (size_t p = patch.find('-'); p != std::string_view::npos) {
    pre = Split(patch.substr(p + 1), '.');
    patch = patch.substr(0, p);
  }
  auto patch_number = Number(patch, "patch", error);
  if (!patch_number) return std::nullopt;
  v.patch = *patch_number;
  for (std::string_view id : pre) {
    if (id.empty()) return fail("Prerelease is empty");
    Semver::Pre p;
    if (AllDigits(id)) {
      if (LeadingZero(id)) return fail("Numeric PreRelease version must not contain leading zeroes \"" + std::string(id) + "\"");
      auto n = Number(id, "prerelease", error);
      if (!n) return std::nullopt;
      p.numeric = true;
      p.number = *n;
    } else if (AlphaNumeric(id)) {
      p.text = std::string(id);
    } else {
      return fail("Invalid character(s) found in prerelease \"" + std::string(id) + "\"");
    }
    v.pre.push_back(std::move(p));
  }
  for (std::string_view id : build) {
    if (id.empty()) return fail("Build meta data is empty");
    if (!AlphaNumeric(id)) return fail("Invalid character(s) found in build meta data \"" + std::string(id) + "\"");
    v.build.emplace_back(id);
  }
  return v;
}

}  // namespace

int Semver::Compare(const Semver& o) const {
  auto cmp = [](uint64_t a, uint64_t b) { return a < b ? -1 : a > b ? 1 : 0; };
  if (int c = cmp(major, o.major)) return c;
  if (int c = cmp(minor, o.minor)) return c;
  if (int c = cmp(patch, o.patch)) return c;
  // A release ranks above its pre-releases.
  if (pre.empty() && o.pre.empty()) return 0;
  if (pre.empty()) return 1;
  if (o.pre.empty()) return -1;
  for (size_t i = 0; i < pre.size() && i < o.pre.size(); ++i) {
    const Pre &a = pre[i], &b = o.pre[i];
    if (a.numeric && b.numeric) {
      if (int c = cmp(a.number, b.number)) return c;
    } else if (a.numeric != b.numeric) {
      return a.numeric ? -1 : 1;  // numeric identifiers rank below alphanumeric ones
    } else if (a.text != b.text) {
      return a.text < b.text ? -1 : 1;
    }
  }
  return cmp(pre.size(), o.pre.size());
}

std::string Semver::ToString() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (size_t i = 0; i < pre.size(); ++i) {
    s += i == 0 ? "-" : ".";
    s += pre[i].numeric ? std::to_string(pre[i].number) : pre[i].text;
  }
  for (size_t i = 0; i < build.size(); ++i) s += (i == 0 ? "+" : ".") + build[i];
  return s;
}

std::optional<Semver> ParseSemver(std::string_view text, bool normalize, std::string* error) {
  if (!normalize) return Parse(text, error);
  std::string_view s = text;
  if (s.starts_with("v")) s.remove_prefix(1);
  std::vector<std::string> parts;
  for (std::string_view p : Split(s, '.', 3)) {
    std::string part(p);
    if (part.size() > 1) {
      size_t nz = part.find_first_not_of('0');
      part = nz == std::string::npos ? "" : part.substr(nz);
      if (part.empty() || !(part[0] >= '0' && part[0] <= '9')) part = "0" + part;
    }
    parts.push_back(std::move(part));
  }
  if (parts.size() < 3) {
    if (parts.back().find_first_of("+-") != std::string::npos) {
      if (error) *error = "short version cannot contain PreRelease/Build meta data";
      return std::nullopt;
    }
    while (parts.size() < 3) parts.emplace_back("0");
  }
  std::string joined = parts[0] + "." + parts[1] + "." + parts[2];
  return Parse(joined, error);
}

}  // namespace clausegate::cel::ext
