#include "json/yaml_scalar.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace clausegate::json {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

enum class Hint : char { kNone = 0, kSign = 'S', kDigit = 'D', kMapped = 'M', kDot = '.' };

// go-yaml's first-character hint: a scalar that starts with anything else is a string.
constexpr std::array<Hint, 256> MakeHints() {
  std::array<Hint, 256> t{};
  t['+'] = t['-'] = Hint::kSign;
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = Hint::kDigit;
  for (char c : std::string_view("yYnNtTfFoO~")) t[static_cast<unsigned char>(c)] = Hint::kMapped;
  t['.'] = Hint::kDot;
  return t;
}
constexpr std::array<Hint, 256> kHints = MakeHints();

enum class Fixed { kNone, kTrue, kFalse, kNull, kNaN, kInf, kNegInf };

// The spellings go-yaml v2 reads without parsing numbers.
Fixed LookUp(std::string_view s) {
  switch (s.size()) {
    case 0: return Fixed::kNull;
    case 1:
      if (s == "y" || s == "Y") return Fixed::kTrue;
      if (s == "n" || s == "N") return Fixed::kFalse;
      if (s == "~") return Fixed::kNull;
      return Fixed::kNone;
    default: break;
  }
  static constexpr std::pair<std::string_view, Fixed> kTable[] = {
      {"yes", Fixed::kTrue},    {"Yes", Fixed::kTrue},    {"YES", Fixed::kTrue},     {"true", Fixed::kTrue},
      {"True", Fixed::kTrue},   {"TRUE", Fixed::kTrue},   {"on", Fixed::kTrue},      {"On", Fixed::kTrue},
      {"ON", Fixed::kTrue},     {"no", Fixed::kFalse},    {"No", Fixed::kFalse},     {"NO", Fixed::kFalse},
      {"false", Fixed::kFalse}, {"False", Fixed::kFalse}, {"FALSE", Fixed::kFalse},  {"off", Fixed::kFalse},
      {"Off", Fixed::kFalse},   {"OFF", Fixed::kFalse},   {"null", Fixed::kNull},    {"Null", Fixed::kNull},
      {"NULL", Fixed::kNull},   {".nan", Fixed::kNaN},    {".NaN", Fixed::kNaN},     {".NAN", Fixed::kNaN},
      {".inf", Fixed::kInf},    {".Inf", Fixed::kInf},    {".INF", Fixed::kInf},     {"+.inf", Fixed::kInf},
      {"+.Inf", Fixed::kInf},   {"+.INF", Fixed::kInf},   {"-.inf", Fixed::kNegInf}, {"-.Inf", Fixed::kNegInf},
      {"-.INF", Fixed::kNegInf}};
  for (const auto& [text, value] : kTable) {
    if (text == s) return value;
  }
  return Fixed::kNone;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseUint(s, 0, 64) on text without underscores: base prefixes 0b, 0o,
// 0x (either case) and a leading 0 for octal.
std::optional<uint64_t> ParseUnsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : 0;
    if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = DigitValue(c);
    if (d >= base) return std::nullopt;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return v;
}

// go-yaml's integer rule: int64 if it fits (a sign is allowed), else uint64 (no sign).
std::optional<std::string> IntegerJson(std::string_view plain) {
  bool neg = false;
  std::string_view body = plain;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  auto v = ParseUnsigned(body);
  if (!v) return std::nullopt;
  if (neg) {
    if (*v > 9223372036854775808ULL) return std::nullopt;
    return *v == 0 ? "0" : "-" + std::to_string(*v);
  }
  if (plain[0] == '+' && *v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;  // ParseUint takes no sign
  return std::to_string(*v);
}

// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's float syntax.
bool IsYamlFloat(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < n && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// A finite double from text IsYamlFloat accepted; nullopt when out of range (Go
// returns an error for an overflow, not for an underflow).
std::optional<double> ParseDouble(std::string_view s) {
  std::string t(s);
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  if (errno == ERANGE && std::isinf(d)) return std::nullopt;
  return d;
}

// Go's encoding/json form of a float64: the shortest digits that read back the same,
// in fixed notation (padded with zeros, not exact digits) unless the magnitude is
// below 1e-6 or from 1e21 up. From 2^63 up the exponent form is kept as well: the same
// number, which the JSON decoder then reads as the float it is (Kubernetes reads such
// a number as a float too) rather than as an integer too large for it.
std::string GoJsonFloat(double d) {
  char buf[64];
  double a = std::fabs(d);
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // [-]d[.ddd]e±XX
  if (a != 0 && (a < 1e-6 || a >= 9223372036854775808.0)) return sci;
  size_t e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  bool neg = sci[0] == '-';
  std::string digits;
  for (size_t i = neg ? 1 : 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  std::string out = neg ? "-" : "";
  int point = exp + 1;  // digits before the point
  if (a == 0) return out + "0";
  if (point <= 0) {
    out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  }
  return out;
}

// Go's strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses for float keys.
std::string GoFloat32Key(double d) {
  float f = static_cast<float>(d);
  if (std::isnan(f)) return ".nan";
  if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // d[.ddd]e±XX
  size_t e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  if (exp < -4 || exp >= 6) {  // Go's shortest 'g' switches at an exponent of 6
    std::string mant = sci.substr(0, e);
    std::string ex = sci.substr(e + 1);
    char sign = ex[0];
    std::string digits = ex.substr(1);
    if (digits.size() < 2) digits = "0" + digits;
    return mant + "e" + sign + digits;
  }
  r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

bool Base64Decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r') clean += c;  // Go's decoder skips line breaks
  }
  if (clean.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = clean[i + j];
      if (c == '=' && i + 4 == clean.size() && j >= 2) {
        v[j] = 0, ++pad;
      } else if (pad > 0 || (v[j] = value(c)) < 0) {
        return false;
      }
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

ScalarValue Json(ScalarType type, std::string text) { return {type, std::move(text), true}; }

// What go-yaml's resolve() makes of text with no tag or a resolvable one.
ScalarValue ResolveText(std::string_view in) {
  Hint hint = in.empty() ? Hint::kMapped : kHints[static_cast<unsigned char>(in[0])];
  if (hint == Hint::kNone) return {};
  switch (LookUp(in)) {
    case Fixed::kTrue: return Json(ScalarType::kBool, "true");
    case Fixed::kFalse: return Json(ScalarType::kBool, "false");
    case Fixed::kNull: return Json(ScalarType::kNull, "null");
    case Fixed::kNaN:
    case Fixed::kInf:
    case Fixed::kNegInf:
      return Json(ScalarType::kError, "\"" + std::string(in) + "\" is a float JSON cannot hold (infinity or NaN)");
    case Fixed::kNone: break;
  }
  if (hint == Hint::kMapped) return {};
  if (hint == Hint::kDot) {
    if (IsYamlFloat(in)) {
      if (auto d = ParseDouble(in)) return Json(ScalarType::kFloat, GoJsonFloat(*d));
    }
    return {};
  }
  // Digits or a sign: an integer, else a float. (A timestamp would stay its text,
  // which is what a string is.)
  std::string plain;
  plain.reserve(in.size());
  for (char c : in) {
    if (c != '_') plain += c;
  }
  if (auto i = IntegerJson(plain)) return Json(ScalarType::kInt, std::move(*i));
  if (IsYamlFloat(plain)) {
    if (auto d = ParseDouble(plain)) return Json(ScalarType::kFloat, GoJsonFloat(*d));
  }
  return {};
}

std::string_view ShortTag(std::string_view tag) { return tag.starts_with(kTagPrefix) ? tag.substr(kTagPrefix.size()) : tag; }

}  // namespace

bool IsPlainString(std::string_view s) {
  if (s.empty()) return false;
  auto c = static_cast<unsigned char>(s[0]);
  return kHints[c] == Hint::kNone || (s.size() > 5 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
}

ScalarValue ResolveYamlScalar(std::string_view value, std::string_view tag, bool plain) {
  if (tag.empty()) return plain ? ResolveText(value) : ScalarValue{};
  std::string_view name = tag.starts_with(kTagPrefix) ? tag.substr(kTagPrefix.size()) : std::string_view();
  if (name == "str") return {};
  if (name == "binary") {
    ScalarValue v;
    if (!Base64Decode(value, &v.text)) return Json(ScalarType::kError, "!!binary value contains invalid base64 data");
    v.own_text = true;
    return v;
  }
  if (name != "bool" && name != "int" && name != "float" && name != "null" && name != "timestamp") {
    return {};  // a tag of its own (`!foo`, `!`) leaves the text as it is
  }
  ScalarValue v = ResolveText(value);
  ScalarType want = name == "bool"    ? ScalarType::kBool
                    : name == "int"   ? ScalarType::kInt
                    : name == "float" ? ScalarType::kFloat
                    : name == "null"  ? ScalarType::kNull
                                      : ScalarType::kString;
  if (v.type == ScalarType::kError) return v;
  if (v.type == want) return v;
  if (want == ScalarType::kFloat && v.type == ScalarType::kInt) {
    if (auto d = ParseDouble(v.text)) return Json(ScalarType::kFloat, GoJsonFloat(*d));
  }
  if (name == "timestamp" && v.type == ScalarType::kString) {
    // A date (YYYY-...) stays its text in an untyped value; anything else is refused.
    bool date = value.size() > 4 && value[4] == '-';
    for (size_t i = 0; date && i < 4; ++i) date = value[i] >= '0' && value[i] <= '9';
    if (date) return {};
  }
  static constexpr std::string_view kNames[] = {"null", "bool", "int", "float", "str", "error"};
  return Json(ScalarType::kError, "cannot decode !!" + std::string(kNames[static_cast<int>(v.type)]) + " `" +
                                      std::string(value) + "` as a !!" + std::string(ShortTag(tag)));
}

std::string PlainScalarToJson(std::string_view scalar) {
  ScalarValue v = ResolveYamlScalar(scalar, {}, true);
  if (v.type == ScalarType::kError) return JsonQuote(scalar);
  if (v.type == ScalarType::kString) return JsonQuote(v.own_text ? v.text : scalar);
  return v.text;
}

bool YamlKeyString(const ScalarValue& resolved, std::string_view text, std::string* key, std::string* why) {
  switch (resolved.type) {
    case ScalarType::kString:
      key->assign(resolved.own_text ? std::string_view(resolved.text) : text);
      return true;
    case ScalarType::kBool:
      *key = resolved.text;
      return true;
    case ScalarType::kInt:
      if (resolved.text[0] != '-' && resolved.text.size() >= 19 && std::strtoull(resolved.text.c_str(), nullptr, 10) > INT64_MAX) {
        *why = "mapping key " + std::string(text) + " is an unsigned 64-bit integer, which a JSON object key cannot be";
        return false;
      }
      *key = resolved.text;
      return true;
    case ScalarType::kFloat:
      *key = GoFloat32Key(std::strtod(resolved.text.c_str(), nullptr));
      return true;
    case ScalarType::kNull:
      *why = "a mapping key cannot be null";
      return false;
    case ScalarType::kError:
      *why = resolved.text;
      return false;
  }
  return false;
}

namespace {

// Whether none of eight bytes needs an escape or is part of a UTF-8 sequence.
bool PlainWord(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [&](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  uint64_t special = (w & kHigh) | ((w - 0x20 * kOnes) & ~w & kHigh) | has_zero(w ^ ('"' * kOnes)) |
                     has_zero(w ^ ('\\' * kOnes));
  return special == 0;
}

}  // namespace

void AppendJsonQuoted(std::string_view text, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t run = i;  // copy plain runs in one piece, eight bytes at a time while they last
    while (run + 8 <= n && PlainWord(p + run)) run += 8;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out->append(text.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': *out += "\\\""; break;
        case '\\': *out += "\\\\"; break;
        case '\n': *out += "\\n"; break;
        case '\r': *out += "\\r"; break;
        case '\t': *out += "\\t"; break;
        case '\b': *out += "\\b"; break;
        case '\f': *out += "\\f"; break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        }
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, each continuation checked,
    // overlong forms, surrogates and code points past U+10FFFF refused.
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    bool ok = len > 0 && i + len <= n && c <= 0xF4 && c >= 0xC2;
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    } else if (ok && len == 4) {
      unsigned cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (ok) {
      out->append(text.data() + i, len);
      i += len;
    } else {
      *out += "\\ufffd";
      ++i;
    }
  }
  out->push_back('"');
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonQuoted(text, &out);
  return out;
}

}  // namespace clausegate::json
