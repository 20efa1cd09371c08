// Regular expressions with RE2 (linear time): matches, find, findAll. Patterns
// that are literals are compiled once by the planner; these overloads handle
// patterns computed at evaluation time.

#include "cel/regex.h"

namespace clausegate::cel {

std::unique_ptr<RE2> CompileRegex(std::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(1 << 20);  // bounds the compiled program of an untrusted pattern
  return std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
}

namespace {
re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }
void ChargeScan(Frame& f, std::string_view text) { f.Charge(1 + static_cast<int64_t>(text.size() / 10)); }
}  // namespace

Value RegexMatches(const RE2& re, std::string_view text, Frame& f) {
  ChargeScan(f, text);
  return Value::Bool(RE2::PartialMatch(Piece(text), re));
}

Value RegexFind(const RE2& re, std::string_view text, Frame& f) {
  ChargeScan(f, text);
  re2::StringPiece t = Piece(text), m;
  if (!re.Match(t, 0, t.size(), RE2::UNANCHORED, &m, 1)) return Value::String("");
  return Value::String(std::string(m.data(), m.size()));
}

Value RegexFindAll(const RE2& re, std::string_view text, int64_t limit, Frame& f) {
  ChargeScan(f, text);
  re2::StringPiece t = Piece(text);
  std::vector<Value> out;
  size_t pos = 0;
  while (pos <= t.size() && (limit < 0 || static_cast<int64_t>(out.size()) < limit)) {
    re2::StringPiece m;
    if (!re.Match(t, pos, t.size(), RE2::UNANCHORED, &m, 1)) break;
    out.push_back(Value::String(std::string(m.data(), m.size())));
    size_t end = static_cast<size_t>(m.data() - t.data()) + m.size();
    pos = m.empty() ? end + 1 : end;
    if (!f.Charge(1)) return Value::Error(std::string(kCostExceeded));
  }
  return Value::List(std::move(out));
}

namespace {

using Args = std::span<const Value>;

template <int Fn>
Value Dynamic(Args a, Frame& f) {
  auto re = CompileRegex(a[1].string_value());
  if (!re->ok()) return Value::Error("invalid regular expression: " + re->error());
  f.Charge(static_cast<int64_t>(a[1].string_value().size() / 10));
  if (Fn == 0) return RegexMatches(*re, a[0].string_value(), f);
  if (Fn == 1) return RegexFind(*re, a[0].string_value(), f);
  return RegexFindAll(*re, a[0].string_value(), a.size() > 2 ? a[2].int_value() : -1, f);
}

constexpr KindMask kS = K(Kind::kString), kI = K(Kind::kInt);

constexpr Overload kRegex[] = {
    {"matches", false, 2, {kS, kS}, Dynamic<0>},
    {"matches", true, 2, {kS, kS}, Dynamic<0>},
    {"find", true, 2, {kS, kS}, Dynamic<1>},
    {"findAll", true, 2, {kS, kS}, Dynamic<2>},
    {"findAll", true, 3, {kS, kS, kI}, Dynamic<2>},
};

}  // namespace

std::span<const Overload> RegexOverloads() { return kRegex; }

}  // namespace clausegate::cel
