// The CEL strings extension: charAt, indexOf, lastIndexOf, lowerAscii, upperAscii,
// replace, split, substring, trim, join, strings.quote, reverse (format is in
// format.cc).
// Indices count code points, as in cel-go.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cel/runtime/runtime.h"
#include "common/utf8.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

Value OutOfRange(int64_t i) { return Value::Error("index out of range: " + std::to_string(i)); }

// Charges for work proportional to the text touched.
void ChargeText(Frame& f, size_t bytes) { f.Charge(static_cast<int64_t>(bytes / 10)); }

Value CharAt(Args a, Frame& f) {
  std::string_view s = a[0].string_value();
  ChargeText(f, s.size());
  int64_t i = a[1].int_value();
  auto off = utf8::Offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  if (i < 0 || i > n) return OutOfRange(i);
  if (i == n) return Value::String("");
  return Value::String(std::string(s.substr(off[static_cast<size_t>(i)], off[static_cast<size_t>(i) + 1] - off[static_cast<size_t>(i)])));
}

// Code-point index of the first match at or after code point `start`.
// indexOf and lastIndexOf as cel-go's strings extension has them: a negative offset
// is an error, an offset at or past the end finds nothing (the empty string is found
// at the offset, clamped to the end).
Value IndexOfImpl(std::string_view s, std::string_view sub, int64_t start, Frame& f) {
  ChargeText(f, s.size());
  auto off = utf8::Offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  if (start < 0) return OutOfRange(start);
  if (sub.empty()) return Value::Int(std::min(start, n));
  if (start >= n) return Value::Int(-1);
  size_t pos = s.find(sub, off[static_cast<size_t>(start)]);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(static_cast<int64_t>(utf8::Length(s.substr(0, pos))));
}
Value IndexOf(Args a, Frame& f) { return IndexOfImpl(a[0].string_value(), a[1].string_value(), 0, f); }
Value IndexOfFrom(Args a, Frame& f) {
  return IndexOfImpl(a[0].string_value(), a[1].string_value(), a[2].int_value(), f);
}

Value LastIndexOfImpl(std::string_view s, std::string_view sub, std::optional<int64_t> start, Frame& f) {
  ChargeText(f, s.size());
  auto off = utf8::Offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  if (!start) {
    if (sub.empty()) return Value::Int(n);
    if (s.size() < sub.size()) return Value::Int(-1);
    start = n - 1;
  }
  int64_t from = *start;
  if (from < 0) return OutOfRange(from);
  if (sub.empty()) return Value::Int(std::min(from, n));
  if (from >= n) return Value::Int(-1);
  // The last match that begins at or before code point `from`.
  size_t pos = s.rfind(sub, off[static_cast<size_t>(from)]);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(static_cast<int64_t>(utf8::Length(s.substr(0, pos))));
}
Value LastIndexOf(Args a, Frame& f) {
  return LastIndexOfImpl(a[0].string_value(), a[1].string_value(), std::nullopt, f);
}
Value LastIndexOfFrom(Args a, Frame& f) {
  return LastIndexOfImpl(a[0].string_value(), a[1].string_value(), a[2].int_value(), f);
}

// The receiver itself when no letter changes (environment variable names are
// upper case already): nothing is copied.
template <char kFrom, char kTo>
Value MapAsciiCase(Args a, Frame& f) {
  std::string_view in = a[0].string_value();
  ChargeText(f, in.size());
  size_t first = 0;
  while (first < in.size() && !(in[first] >= kFrom && in[first] <= kFrom + 25)) ++first;
  if (first == in.size()) return a[0];
  std::string s(in);
  for (size_t i = first; i < s.size(); ++i) {
    if (s[i] >= kFrom && s[i] <= kFrom + 25) s[i] = static_cast<char>(s[i] - kFrom + kTo);
  }
  return Value::String(std::move(s));
}
Value LowerAscii(Args a, Frame& f) { return MapAsciiCase<'A', 'a'>(a, f); }
Value UpperAscii(Args a, Frame& f) { return MapAsciiCase<'a', 'A'>(a, f); }

// Go's strings.Replace: n < 0 replaces all; an empty `from` matches at every
// code point boundary.
Value ReplaceImpl(std::string_view s, std::string_view from, std::string_view to, int64_t n, Frame& f) {
  if (n == 0) return Value::String(std::string(s));
  // Count the replacements first, so that the result is charged before it is built.
  size_t cps = from.empty() ? utf8::Length(s) : 0;
  int64_t hits = 0;
  if (from.empty()) {
    hits = static_cast<int64_t>(cps) + 1;
  } else {
    for (size_t pos = s.find(from); pos != std::string_view::npos; pos = s.find(from, pos + from.size())) ++hits;
  }
  if (n >= 0) hits = std::min(hits, n);
  size_t result = s.size() + static_cast<size_t>(hits) * to.size();
  if (!f.Charge(static_cast<int64_t>((s.size() + result) / 10))) return Value::Error(std::string(kCostExceeded));
  std::string out;
  out.reserve(result);
  int64_t done = 0;
  if (from.empty()) {
    auto off = utf8::Offsets(s);
    for (size_t i = 0; i <= cps; ++i) {
      if (done < hits) {
        out.append(to);
        ++done;
      }
      if (i < cps) out.append(s.substr(off[i], off[i + 1] - off[i]));
    }
  } else {
    size_t pos = 0;
    while (done < hits) {
      size_t hit = s.find(from, pos);
      out.append(s.substr(pos, hit - pos)).append(to);
      pos = hit + from.size();
      ++done;
    }
    out.append(s.substr(pos));
  }
  return Value::String(std::move(out));
}
Value Replace(Args a, Frame& f) {
  return ReplaceImpl(a[0].string_value(), a[1].string_value(), a[2].string_value(), -1, f);
}
Value ReplaceN(Args a, Frame& f) {
  return ReplaceImpl(a[0].string_value(), a[1].string_value(), a[2].string_value(), a[3].int_value(), f);
}

// Go's strings.SplitN.
Value SplitImpl(std::string_view s, std::string_view sep, int64_t n, Frame& f) {
  ChargeText(f, s.size());
  std::vector<Value> out;
  if (n == 0) return Value::List({});
  if (sep.empty()) {
    auto off = utf8::Offsets(s);
    size_t count = off.size() - 1;
    for (size_t i = 0; i < count; ++i) {
      if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
        out.push_back(Value::String(std::string(s.substr(off[i]))));
        break;
      }
      out.push_back(Value::String(std::string(s.substr(off[i], off[i + 1] - off[i]))));
    }
    f.Charge(static_cast<int64_t>(out.size()));
    return Value::List(std::move(out));
  }
  size_t pos = 0;
  while (n < 0 || static_cast<int64_t>(out.size()) < n - 1) {
    size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    out.push_back(Value::String(std::string(s.substr(pos, hit - pos))));
    pos = hit + sep.size();
  }
  out.push_back(Value::String(std::string(s.substr(pos))));
  f.Charge(static_cast<int64_t>(out.size()));
  return Value::List(std::move(out));
}
Value Split(Args a, Frame& f) { return SplitImpl(a[0].string_value(), a[1].string_value(), -1, f); }
Value SplitN(Args a, Frame& f) { return SplitImpl(a[0].string_value(), a[1].string_value(), a[2].int_value(), f); }

Value SubstringImpl(std::string_view s, int64_t start, std::optional<int64_t> end) {
  auto off = utf8::Offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  int64_t e = end.value_or(n);
  if (start < 0 || start > n) return OutOfRange(start);
  if (e < 0 || e > n) return OutOfRange(e);
  if (start > e) {
    return Value::Error("invalid substring range. start: " + std::to_string(start) + ", end: " + std::to_string(e));
  }
  size_t b = off[static_cast<size_t>(start)], x = off[static_cast<size_t>(e)];
  return Value::String(std::string(s.substr(b, x - b)));
}
Value Substring(Args a, Frame& f) {
  ChargeText(f, a[0].string_value().size());
  return SubstringImpl(a[0].string_value(), a[1].int_value(), std::nullopt);
}
Value Substring2(Args a, Frame& f) {
  ChargeText(f, a[0].string_value().size());
  return SubstringImpl(a[0].string_value(), a[1].int_value(), a[2].int_value());
}

// Unicode White_Space, as Go's unicode.IsSpace.
bool IsSpaceAt(std::string_view s, size_t i, size_t* len) {
  auto c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
  auto starts = [&](std::string_view p) {
    if (s.substr(i, p.size()) == p) {
      *len = p.size();
      return true;
    }
    return false;
  };
  if (c == 0xC2) return starts("\xC2\x85") || starts("\xC2\xA0");
  if (c == 0xE1) return starts("\xE1\x9A\x80");
  if (c == 0xE2) {
    for (unsigned char d = 0x80; d <= 0x8A; ++d) {
      char seq[3] = {'\xE2', '\x80', static_cast<char>(d)};
      if (starts(std::string_view(seq, 3))) return true;
    }
    return starts("\xE2\x80\xA8") || starts("\xE2\x80\xA9") || starts("\xE2\x80\xAF") || starts("\xE2\x81\x9F");
  }
  if (c == 0xE3) return starts("\xE3\x80\x80");
  return false;
}

Value Trim(Args a, Frame& f) {
  std::string_view s = a[0].string_value();
  ChargeText(f, s.size());
  size_t b = 0, len = 0;
  while (b < s.size() && IsSpaceAt(s, b, &len)) b += len;
  size_t e = s.size();
  // Walk back over whole code points.
  while (e > b) {
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    if (!IsSpaceAt(s, start, &len) || start + len != e) break;
    e = start;
  }
  return Value::String(std::string(s.substr(b, e - b)));
}

Value JoinImpl(const Value& list, std::string_view sep, Frame& f) {
  std::string out;
  bool first = true;
  std::optional<Value> err;
  list.ForEachElement([&](const Value& v) {
    if (v.kind() != Kind::kString) {
      err = NoSuchOverload("join");
      return false;
    }
    if (!first) out.append(sep);
    first = false;
    out.append(v.string_value());
    return f.Charge(1);
  });
  if (err) return *err;
  ChargeText(f, out.size());
  return Value::String(std::move(out));
}
Value Join(Args a, Frame& f) { return JoinImpl(a[0], "", f); }
Value JoinSep(Args a, Frame& f) { return JoinImpl(a[0], a[1].string_value(), f); }

Value Reverse(Args a, Frame& f) {
  std::string_view s = a[0].string_value();
  ChargeText(f, s.size());
  auto off = utf8::Offsets(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = off.size() - 1; i-- > 0;) out.append(s.substr(off[i], off[i + 1] - off[i]));
  return Value::String(std::move(out));
}

Value Quote(Args a, Frame& f) {
  std::string_view s = a[0].string_value();
  ChargeText(f, s.size());
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: out += c;
    }
  }
  out += '"';
  return Value::String(std::move(out));
}

constexpr KindMask kI = K(Kind::kInt), kS = K(Kind::kString), kL = K(Kind::kList);

constexpr Overload kStrings[] = {
    {"charAt", true, 2, {kS, kI}, CharAt},
    {"indexOf", true, 2, {kS, kS}, IndexOf},
    {"indexOf", true, 3, {kS, kS, kI}, IndexOfFrom},
    {"lastIndexOf", true, 2, {kS, kS}, LastIndexOf},
    {"lastIndexOf", true, 3, {kS, kS, kI}, LastIndexOfFrom},
    {"lowerAscii", true, 1, {kS}, LowerAscii},
    {"upperAscii", true, 1, {kS}, UpperAscii},
    {"replace", true, 3, {kS, kS, kS}, Replace},
    {"replace", true, 4, {kS, kS, kS, kI}, ReplaceN},
    {"split", true, 2, {kS, kS}, Split},
    {"split", true, 3, {kS, kS, kI}, SplitN},
    {"substring", true, 2, {kS, kI}, Substring},
    {"substring", true, 3, {kS, kI, kI}, Substring2},
    {"trim", true, 1, {kS}, Trim},
    {"join", true, 1, {kL}, Join},
    {"join", true, 2, {kL, kS}, JoinSep},
    {"reverse", true, 1, {kS}, Reverse},
    {"strings.quote", false, 1, {kS}, Quote},
};

}  // namespace

std::span<const Overload> StringOverloads() { return kStrings; }

}  // namespace clausegate::cel
