// string.format(). Two formatters exist. Kubernetes 1.37 (cel-go's strings extension
// at version 2) formats with en_US conventions: "%.2f" of 1234.5 is "1,234.50", "%e"
// writes "1.234500×10⁰³" with the precision taken as a width, "%f" refuses ints, and
// lists print their elements as CEL literals ([1, "a", 2.500000]). cel-spec's
// formatter (the conformance suite's; the clausegate profile) prints "1234.50" and
// "1.234500e+03".


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "cel/ext/url.h"
#include "cel/runtime/runtime.h"
#include "cel/syntax/format_string.h"
#include "common/utf8.h"

namespace clausegate::cel {

namespace {

using Args = std::span<const Value>;

void ChargeText(Frame& f, size_t bytes) { f.Charge(static_cast<int64_t>(bytes / 10)); }


const char* FormatTypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null_type";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kUint: return "uint";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kType: return "type";
    case Kind::kTimestamp: return "google.protobuf.Timestamp";
    case Kind::kDuration: return "google.protobuf.Duration";
    case Kind::kOptional: return "optional_type";
    case Kind::kOpaque: return v.opaque().TypeName().data();
    default: return "unknown";
  }
}

Value FormatError(const std::string& what, const Value& v) {
  return Value::Error("error during formatting: " + what + ", was given " + FormatTypeName(v));
}

std::optional<std::string> NonFinite(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return std::nullopt;
}

// The bytes of a string or bytes value, two hex digits each (both formatters' %x).
std::string HexBytes(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char ch : bytes) {
    out += digits[ch >> 4];
    out += digits[ch & 15];
  }
  return out;
}

std::string Radix(uint64_t u, unsigned base, bool upper) {
  if (u == 0) return "0";
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  while (u) {
    s.insert(s.begin(), digits[u % base]);
    u /= base;
  }
  return s;
}

std::optional<std::string> Integral(const Value& v, unsigned base, bool upper) {
  if (v.kind() == Kind::kInt) {
    int64_t i = v.int_value();
    uint64_t mag = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    return (i < 0 ? "-" : "") + Radix(mag, base, upper);
  }
  if (v.kind() == Kind::kUint) return Radix(v.uint_value(), base, upper);
  return std::nullopt;
}

// cel-spec's formatter (the conformance suite's), for the clausegate profile.
Value FormatSpec(Args a, Frame& f) {
  std::string_view fmt = a[0].string_value();
  const Value& list = a[1];
  std::vector<Value> args;
  list.ForEachElement([&](const Value& v) {
    args.push_back(v);
    return true;
  });
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    ++i;
    int precision = -1;
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      precision = 0;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i])) && precision < 1000) {
        precision = precision * 10 + (fmt[i] - '0');
        ++i;
      }
    }
    if (i >= fmt.size()) return Value::Error("could not parse formatting clause: unexpected end of format string");
    char verb = fmt[i];
    if (std::string_view("sdfeboxX").find(verb) == std::string_view::npos) {
      return Value::Error(std::string("could not parse formatting clause: unrecognized formatting clause \"") + verb + "\"");
    }
    if (next >= args.size()) return Value::Error("index " + std::to_string(next) + " out of range");
    const Value& v = args[next++];
    switch (verb) {
      case 's': {
        WorkBudget work = f.Remaining();
        out += ValueToString(v, &work);
        if (!f.Settle(work)) return Value::Error(std::string(kCostExceeded));
        break;
      }
      case 'd': {
        if (v.kind() == Kind::kDouble && NonFinite(v.double_value())) {
          out += *NonFinite(v.double_value());
          break;
        }
        auto s = Integral(v, 10, false);
        if (!s) return FormatError("decimal clause can only be used on integers", v);
        out += *s;
        break;
      }
      case 'f':
      case 'e': {
        double d;
        if (v.kind() == Kind::kDouble) d = v.double_value();
        else if (v.kind() == Kind::kInt) d = static_cast<double>(v.int_value());
        else if (v.kind() == Kind::kUint) d = static_cast<double>(v.uint_value());
        else return FormatError(verb == 'f' ? "fixed-point clause can only be used on doubles" : "scientific clause can only be used on doubles", v);
        if (auto nf = NonFinite(d)) {
          out += *nf;
          break;
        }
        char spec[16];
        std::snprintf(spec, sizeof spec, "%%.%d%c", precision < 0 ? 6 : std::min(precision, 100), verb);
        char buf[512];
        std::snprintf(buf, sizeof buf, spec, d);
        out += buf;
        break;
      }
      case 'b': {
        if (v.kind() == Kind::kBool) {
          out += v.bool_value() ? "1" : "0";
          break;
        }
        auto s = Integral(v, 2, false);
        if (!s) return FormatError("only integers and bools can be formatted as binary", v);
        out += *s;
        break;
      }
      case 'o': {
        auto s = Integral(v, 8, false);
        if (!s) return FormatError("octal clause can only be used on integers", v);
        out += *s;
        break;
      }
      case 'x':
      case 'X': {
        bool upper = verb == 'X';
        if (v.kind() == Kind::kString || v.kind() == Kind::kBytes) {
          out += HexBytes(v.string_value(), upper);
          break;
        }
        auto s = Integral(v, 16, upper);
        if (!s) return FormatError("only integers, byte buffers, and strings can be formatted as hex", v);
        out += *s;
        break;
      }
    }
    ChargeText(f, out.size());
  }
  return Value::String(std::move(out));
}


// --- Kubernetes 1.37: cel-go's strings extension at version 2 --------------

std::string ClauseError(const std::string& what, std::string_view type) {
  return "error during formatting: " + what + ", was given " + std::string(type);
}

constexpr std::string_view kStringClause =
    "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and "
    "timestamps";

// string() of a value, as cel-go converts it for %s.
std::optional<std::string> CelString(const Value& v, std::string* error) {
  switch (v.kind()) {
    case Kind::kString: return std::string(v.string_value());
    case Kind::kBytes:
      if (!utf8::IsValid(v.string_value())) {
        *error = "error during formatting: could not convert argument \"invalid UTF-8 in bytes, cannot convert to "
                 "string\" to string";
        return std::nullopt;
      }
      return std::string(v.string_value());
    case Kind::kDouble:
      if (std::isinf(v.double_value())) return std::string(v.double_value() > 0 ? "+Inf" : "-Inf");
      return ValueToString(v);
    case Kind::kNull: return std::string("null");
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kUint:
    case Kind::kTimestamp:
    case Kind::kDuration:
    case Kind::kType: return ValueToString(v);
    default:
      *error = ClauseError(std::string(kStringClause), FormatTypeName(v));
      return std::nullopt;
  }
}

// Go's "%.6f" (fmt keeps the sign of -0 and spells the infinities +Inf, -Inf, NaN).
std::string GoFixed6(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.6f", d);
  return buf;
}

// A value inside a list or map, written as a CEL literal.
std::optional<std::string> Literal(const Value& v, std::string* error, int depth, Frame& f);

std::optional<std::string> ListLiteral(const Value& list, std::string* error, int depth, Frame& f) {
  std::string out = "[";
  bool first = true, ok = true;
  list.ForEachElement([&](const Value& e) {
    if (!f.Charge(1)) return ok = false;
    auto s = Literal(e, error, depth + 1, f);
    if (!s) return ok = false;
    if (!first) out += ", ";
    first = false;
    out += *s;
    return true;
  });
  if (!ok) return std::nullopt;
  return out + "]";
}

std::optional<std::string> MapLiteral(const Value& map, std::string* error, int depth, Frame& f) {
  std::vector<std::pair<std::string, std::string>> entries;
  bool ok = true;
  map.ForEachEntry([&](const Value& k, const Value& v) {
    if (!f.Charge(1)) return ok = false;
    std::string key;
    switch (k.kind()) {
      case Kind::kString: key = ext::GoQuote(k.string_value()); break;
      case Kind::kBool:
      case Kind::kInt:
      case Kind::kUint: key = ValueToString(k); break;
      default:
        *error = std::string("error during formatting: no formatting function for map key of type ") + FormatTypeName(k);
        return ok = false;
    }
    auto value = Literal(v, error, depth + 1, f);
    if (!value) return ok = false;
    entries.emplace_back(std::move(key), std::move(*value));
    return true;
  });
  if (!ok) return std::nullopt;
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ", ";
    out += entries[i].first + ":" + entries[i].second;
  }
  return out + "}";
}

std::optional<std::string> Literal(const Value& v, std::string* error, int depth, Frame& f) {
  if (depth > 100) {
    *error = "error during formatting: value nested too deeply";
    return std::nullopt;
  }
  switch (v.kind()) {
    case Kind::kInt:
    case Kind::kUint:
    case Kind::kBool:
    case Kind::kNull:
    case Kind::kType: return CelString(v, error);
    case Kind::kString: return ext::GoQuote(v.string_value());
    case Kind::kBytes: {
      auto s = CelString(v, error);
      if (!s) return std::nullopt;
      return "b" + ext::GoQuote(*s);
    }
    case Kind::kDouble: {
      double d = v.double_value();
      std::string s = GoFixed6(d);
      return std::isfinite(d) ? s : "\"" + s + "\"";
    }
    case Kind::kTimestamp: return "timestamp(" + ext::GoQuote(ValueToString(v)) + ")";
    case Kind::kDuration: return "duration(" + ext::GoQuote(ValueToString(v)) + ")";
    case Kind::kList: return ListLiteral(v, error, depth, f);
    case Kind::kMap: return MapLiteral(v, error, depth, f);
    default:
      *error = std::string("error during formatting: no formatting function for ") + FormatTypeName(v);
      return std::nullopt;
  }
}

// en_US digits: the integer part grouped by threes.
std::string Grouped(std::string digits) {
  size_t start = digits[0] == '-' ? 1 : 0;
  size_t end = digits.find('.');
  if (end == std::string::npos) end = digits.size();
  for (size_t i = end; i > start + 3; i -= 3) digits.insert(i - 3, ",");
  return digits;
}

// A double the f and e clauses take: a double, or the strings NaN, Infinity, -Infinity.
std::optional<double> FloatArgument(const Value& v) {
  if (v.kind() == Kind::kDouble) return v.double_value();
  if (v.kind() == Kind::kString) {
    std::string_view s = v.string_value();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
  }
  return std::nullopt;
}

std::string FixedEnUs(double d, int precision) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "∞" : "-∞";
  if (d == 0) d = 0;  // the printer drops the sign of -0
  precision &= 0xFF;  // it keeps the precision in a byte
  std::vector<char> buf(static_cast<size_t>(precision) + 400);
  std::snprintf(buf.data(), buf.size(), "%.*f", precision, d);
  return Grouped(buf.data());
}

std::string ScientificEnUs(double d, int width) {
  std::string out;
  if (std::isnan(d)) {
    out = "NaN";
  } else if (std::isinf(d)) {
    out = d > 0 ? "∞" : "-∞";
  } else {
    if (d == 0) d = 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6e", d);  // the precision is always 6: the clause's is a width
    std::string s = buf;
    size_t e = s.find('e');
    out = s.substr(0, e) + "×10";
    static constexpr const char* kSuperscript[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    for (size_t i = e + 1; i < s.size(); ++i) {
      if (s[i] == '-') out += "⁻";
      if (s[i] >= '0' && s[i] <= '9') out += kSuperscript[s[i] - '0'];
    }
  }
  size_t runes = utf8::Offsets(out).size() - 1;
  if (width > 0 && runes < static_cast<size_t>(width)) out.insert(0, static_cast<size_t>(width) - runes, ' ');
  return out;
}

std::optional<std::string> KubernetesClause(const Value& v, const FormatClause& c, std::string* error, Frame& f) {
  switch (c.verb) {
    case 's':
      if (v.kind() == Kind::kList) return ListLiteral(v, error, 0, f);
      if (v.kind() == Kind::kMap) return MapLiteral(v, error, 0, f);
      return CelString(v, error);
    case 'd':
      if (auto s = Integral(v, 10, false)) return s;
      *error = ClauseError("decimal clause can only be used on integers", FormatTypeName(v));
      return std::nullopt;
    case 'f':
    case 'e': {
      auto d = FloatArgument(v);
      if (!d) {
        *error = ClauseError(c.verb == 'f' ? "fixed-point clause can only be used on doubles"
                                           : "scientific clause can only be used on doubles",
                             FormatTypeName(v));
        return std::nullopt;
      }
      int p = c.precision.value_or(6);
      return c.verb == 'f' ? FixedEnUs(*d, p) : ScientificEnUs(*d, p);
    }
    case 'b':
      if (v.kind() == Kind::kBool) return std::string(v.bool_value() ? "1" : "0");
      if (auto s = Integral(v, 2, false)) return s;
      *error = ClauseError("only integers and bools can be formatted as binary", FormatTypeName(v));
      return std::nullopt;
    case 'o':
      if (auto s = Integral(v, 8, false)) return s;
      *error = ClauseError("octal clause can only be used on integers", FormatTypeName(v));
      return std::nullopt;
    default: {  // x, X
      bool upper = c.verb == 'X';
      if (v.kind() == Kind::kString || v.kind() == Kind::kBytes) return HexBytes(v.string_value(), upper);
      if (auto s = Integral(v, 16, upper)) return s;
      *error = ClauseError("only integers, byte buffers, and strings can be formatted as hex", FormatTypeName(v));
      return std::nullopt;
    }
  }
}

Value FormatKubernetes(Args a, Frame& f) {
  std::vector<Value> args;
  a[1].ForEachElement([&](const Value& v) {
    args.push_back(v);
    return true;
  });
  std::string out;
  size_t seen = 0;
  auto err = WalkFormat(
      a[0].string_value(), args.size(), true,
      [&](size_t index, const FormatClause& c, std::string* text) -> std::optional<std::string> {
        std::string error;
        auto s = KubernetesClause(args[index], c, &error, f);
        if (!s) return f.exhausted() ? std::string(kCostExceeded) : error;
        *text += *s;
        ChargeText(f, text->size());
        return std::nullopt;
      },
      &out, &seen);
  if (err) return Value::Error(*err);
  if (f.exhausted()) return Value::Error(std::string(kCostExceeded));
  return Value::String(std::move(out));
}

constexpr KindMask kS = K(Kind::kString), kL = K(Kind::kList);

constexpr Overload kKubernetesFormat[] = {{"format", true, 2, {kS, kL}, FormatKubernetes}};
constexpr Overload kSpecFormat[] = {{"format", true, 2, {kS, kL}, FormatSpec}};

}  // namespace

std::span<const Overload> FormatOverloads(bool kubernetes) {
  if (kubernetes) return kKubernetesFormat;
  return kSpecFormat;
}

}  // namespace clausegate::cel
