#include "cel/ext/k8s_names.h"

#include <array>
#include <initializer_list>

#include "cel/ext/url.h"

namespace clausegate::cel::ext {
namespace {

constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character";
constexpr std::string_view kLabelKeyFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kLabelKeyErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character";

constexpr size_t kLabelMaxLength = 63;
constexpr size_t kSubdomainMaxLength = 253;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Kubernetes' MaxLenError: util/validation says "characters", the newer
// content package (label keys and values) says "bytes".
std::string MaxLenError(size_t n, bool bytes) {
  return "must be no more than " + std::to_string(n) + (bytes ? " bytes" : " characters");
}

// Kubernetes' RegexError, including its "',  or '" spacing.
std::string RegexError(std::string_view msg, std::string_view fmt, std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) return out + " (regex used for validation is '" + std::string(fmt) + "')";
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'" + std::string(e) + "', ";
  }
  return out + "regex used for validation is '" + std::string(fmt) + "')";
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?  (first_letter: [a-z] first, as RFC 1035)
bool MatchesDnsLabel(std::string_view s, bool first_letter) {
  if (s.empty()) return false;
  if (first_letter ? !(s[0] >= 'a' && s[0] <= 'z') : !IsLowerAlnum(s[0])) return false;
  if (!IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool MatchesDnsSubdomain(std::string_view s) {
  while (true) {
    size_t dot = s.find('.');
    if (!MatchesDnsLabel(s.substr(0, dot), false)) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesLabelKeyName(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::vector<std::string> SubdomainErrors(std::string_view s, bool bytes) {
  std::vector<std::string> errs;
  if (s.size() > kSubdomainMaxLength) errs.push_back(MaxLenError(kSubdomainMaxLength, bytes));
  if (!MatchesDnsSubdomain(s)) errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  return errs;
}

// Kubernetes' maskTrailingDash: "name-" is checked as its first len-2 bytes
// plus "a", so a generated suffix can follow the dash.
std::string MaskTrailingDash(std::string_view s) {
  if (s.size() > 1 && s.back() == '-') return std::string(s.substr(0, s.size() - 2)) + "a";
  return std::string(s);
}

// time.Parse("2006-01-02", s) == nil.
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) return false;
  }
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

// Length of the UTF-8 rune at s[0] as Go's regexp steps over it (an
// invalid byte counts as one rune).
size_t RuneLength(std::string_view s) {
  unsigned char c = static_cast<unsigned char>(s[0]);
  size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 1;
  if (n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[k]) & 0xc0) != 0x80) return 1;
  }
  if (n == 3) {
    unsigned char c1 = static_cast<unsigned char>(s[1]);
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f)) return 1;  // overlong, surrogate
  } else if (n == 4) {
    unsigned char c1 = static_cast<unsigned char>(s[1]);
    if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) return 1;  // overlong, > U+10FFFF
  }
  return n;
}

// kube-openapi's IsDateTime: the lower-cased text split at 't'; the first
// piece a date, the second matching
//   ^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$
// with hours <= 23 and minutes, seconds <= 59 (pieces after a second 't'
// are ignored, as there).
bool IsDateTime(std::string_view str) {
  if (str.size() < 4) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  size_t t1 = std::string_view::npos;
  for (size_t i = 0; i < str.size(); ++i) {
    if (lower(str[i]) == 't') {
      t1 = i;
      break;
    }
  }
  if (t1 == std::string_view::npos || !IsDate(str.substr(0, t1))) return false;
  std::string_view rest = str.substr(t1 + 1);
  size_t t2 = std::string_view::npos;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (lower(rest[i]) == 't') {
      t2 = i;
      break;
    }
  }
  std::string_view time = rest.substr(0, t2);
  if (time.size() < 9) return false;
  for (size_t i : {0, 1, 3, 4, 6, 7}) {
    if (!IsDigit(time[i])) return false;
  }
  if (time[2] != ':' || time[5] != ':') return false;
  if (time.substr(0, 2) > "23" || time.substr(3, 2) > "59" || time.substr(6, 2) > "59") return false;
  std::string_view tail = time.substr(8);
  auto is_zone = [&](std::string_view z) {
    if (z.size() == 1) return lower(z[0]) == 'z';
    return z.size() == 6 && (z[0] == '+' || z[0] == '-') && IsDigit(z[1]) && IsDigit(z[2]) && z[3] == ':' &&
           IsDigit(z[4]) && IsDigit(z[5]);
  };
  if (is_zone(tail)) return true;
  // Optional fraction: any one rune but a newline, then digits.
  if (tail.empty() || tail[0] == '\n') return false;
  tail.remove_prefix(RuneLength(tail));
  size_t digits = 0;
  while (digits < tail.size() && IsDigit(tail[digits])) ++digits;
  return digits > 0 && is_zone(tail.substr(digits));
}

bool IsBase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  auto in_alphabet = [](char c) { return IsAlnum(c) || c == '+' || c == '/'; };
  size_t pad = 0;
  if (s.back() == '=') pad = s[s.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < s.size() - pad; ++i) {
    if (!in_alphabet(s[i])) return false;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t pos = 0;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0 && pos < s.size() && s[pos] == '-') ++pos;
    for (size_t k = 0; k < kGroups[g]; ++k, ++pos) {
      if (pos >= s.size() || !IsHexDigit(s[pos])) return false;
    }
  }
  return pos == s.size();
}

std::vector<std::string> Single(bool ok, std::string_view message) {
  if (ok) return {};
  return {std::string(message)};
}

constexpr NameFormat kNameFormats[] = {
    {"dns1123Label", "DNS1123Label", &Dns1123Label},
    {"dns1123Subdomain", "DNS1123Subdomain", &Dns1123Subdomain},
    {"dns1035Label", "DNS1035Label", &Dns1035Label},
    {"qualifiedName", "QualifiedName", &QualifiedName},
    {"dns1123LabelPrefix", "DNS1123LabelPrefix", &Dns1123LabelPrefix},
    {"dns1123SubdomainPrefix", "DNS1123SubdomainPrefix", &Dns1123SubdomainPrefix},
    {"dns1035LabelPrefix", "DNS1035LabelPrefix", &Dns1035LabelPrefix},
    {"labelValue", "LabelValue", &LabelValue},
    {"uri", "URI", &Uri},
    {"uuid", "uuid", &Uuid},
    {"byte", "byte", &Byte},
    {"date", "date", &Date},
    {"datetime", "datetime", &DateTime},
};

}  // namespace

std::vector<std::string> Dns1123Label(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kLabelMaxLength) errs.push_back(MaxLenError(kLabelMaxLength, false));
  if (!MatchesDnsLabel(s, false)) {
    if (MatchesDnsSubdomain(s)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> Dns1123Subdomain(std::string_view s) { return SubdomainErrors(s, false); }

std::vector<std::string> Dns1035Label(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kLabelMaxLength) errs.push_back(MaxLenError(kLabelMaxLength, false));
  if (!MatchesDnsLabel(s, true)) {
    errs.push_back(RegexError(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> Dns1123LabelPrefix(std::string_view s) { return Dns1123Label(MaskTrailingDash(s)); }

std::vector<std::string> Dns1123SubdomainPrefix(std::string_view s) { return Dns1123Subdomain(MaskTrailingDash(s)); }

std::vector<std::string> Dns1035LabelPrefix(std::string_view s) { return Dns1035Label(MaskTrailingDash(s)); }

std::vector<std::string> QualifiedName(std::string_view s) {
  std::vector<std::string> errs;
  std::string_view name = s;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back("a valid label key " + RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"}) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (std::string& e : SubdomainErrors(prefix, true)) errs.push_back("prefix part " + e);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kLabelMaxLength) {
    errs.push_back("name part " + MaxLenError(kLabelMaxLength, true));
  }
  if (!MatchesLabelKeyName(name)) {
    errs.push_back("name part " + RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> LabelValue(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kLabelMaxLength) errs.push_back(MaxLenError(kLabelMaxLength, true));
  if (!s.empty() && !MatchesLabelKeyName(s)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> Uri(std::string_view s) {
  std::string error;
  if (IsUrl(s, &error)) return {};
  return {error};
}

std::vector<std::string> Uuid(std::string_view s) { return Single(IsUuid(s), "does not match the UUID format"); }

std::vector<std::string> Byte(std::string_view s) { return Single(IsBase64(s), "invalid base64"); }

std::vector<std::string> Date(std::string_view s) { return Single(IsDate(s), "invalid date"); }

std::vector<std::string> DateTime(std::string_view s) { return Single(IsDateTime(s), "invalid datetime"); }

std::span<const NameFormat> NameFormats() { return kNameFormats; }

const NameValidator* FindNameValidator(std::string_view name) {
  for (const NameFormat& f : kNameFormats) {
    if (f.name == name) return &f.validate;
  }
  return nullptr;
}

}  // namespace clausegate::cel::ext
