// Regular expressions with RE2 (linear time, no backreferences): matches, find,
// findAll. A literal pattern is compiled once, when the expression is compiled,
// with the strings a match must contain; a computed one is compiled per call.

#include <optional>

#include <re2/re2.h>

#include "cel/libraries/regex_prefilter.h"
#include "cel/runtime/runtime.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

RE2::Options Options() {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(1 << 20);  // bounds the compiled program of an untrusted pattern
  return opts;
}

// A pattern prepared once: the program, and what a text must contain to match it.
struct PreparedRegex {
  explicit PreparedRegex(std::string_view pattern) : re(Piece(pattern), Options()) {
    if (re.ok()) prefilter = RegexPrefilter::Of(pattern, Options());
  }
  RE2 re;
  std::optional<RegexPrefilter> prefilter;
};

Prepared PrepareRegex(const Value& pattern) {
  auto p = std::make_shared<const PreparedRegex>(pattern.string_value());
  if (!p->re.ok()) return {nullptr, "invalid regular expression: " + p->re.error()};
  return {p, ""};
}

void ChargeScan(Frame& f, std::string_view text) { f.Charge(1 + static_cast<int64_t>(text.size() / 10)); }

Value MatchesWith(const RE2& re, Args a, Frame& f) {
  ChargeScan(f, a[0].string_value());
  // Match() without submatches, as PartialMatch() with none but without its argument plumbing.
  re2::StringPiece t = Piece(a[0].string_value());
  return Value::Bool(re.Match(t, 0, t.size(), RE2::UNANCHORED, nullptr, 0));
}

Value FindWith(const RE2& re, Args a, Frame& f) {
  ChargeScan(f, a[0].string_value());
  re2::StringPiece t = Piece(a[0].string_value()), m;
  if (!re.Match(t, 0, t.size(), RE2::UNANCHORED, &m, 1)) return Value::String("");
  return Value::String(std::string(m.data(), m.size()));
}

Value FindAllWith(const RE2& re, Args a, Frame& f) {
  ChargeScan(f, a[0].string_value());
  int64_t limit = a.size() > 2 ? a[2].int_value() : -1;
  re2::StringPiece t = Piece(a[0].string_value());
  std::vector<Value> out;
  size_t pos = 0;
  std::optional<size_t> prev_end;
  // As Go's FindAllString: an empty match right after the previous match is
  // dropped, and after an empty match the search moves on by one code point.
  while (pos <= t.size() && (limit < 0 || static_cast<int64_t>(out.size()) < limit)) {
    re2::StringPiece m;
    if (!re.Match(t, pos, t.size(), RE2::UNANCHORED, &m, 1)) break;
    size_t start = static_cast<size_t>(m.data() - t.data());
    size_t end = start + m.size();
    if (!(m.empty() && prev_end && start == *prev_end)) out.push_back(Value::String(std::string(m.data(), m.size())));
    prev_end = end;
    if (m.empty()) {
      size_t step = 1;
      while (end + step < t.size() && (static_cast<unsigned char>(t[end + step]) & 0xC0) == 0x80) ++step;
      pos = end + step;
    } else {
      pos = end;
    }
    if (!f.Charge(1)) return Value::Error(std::string(kCostExceeded));
  }
  return Value::List(std::move(out));
}

using RegexOp = Value (*)(const RE2&, Args, Frame&);

// The pattern computed at evaluation time.
template <RegexOp Op>
Value Dynamic(Args a, Frame& f) {
  f.Charge(static_cast<int64_t>(a[1].string_value().size() / 10));
  RE2 re(Piece(a[1].string_value()), Options());
  if (!re.ok()) return Value::Error("invalid regular expression: " + re.error());
  return Op(re, a, f);
}

// What each function answers for a text that cannot match.
Value NoMatch(RegexOp op) {
  if (op == MatchesWith) return Value::Bool(false);
  if (op == FindWith) return Value::String("");
  return Value::List({});
}

// The pattern prepared at compile time; a text without the strings every match
// contains is answered without a search, at the same cost.
template <RegexOp Op>
Value Compiled(Args a, const void* state, Frame& f) {
  const auto& p = *static_cast<const PreparedRegex*>(state);
  if (p.prefilter && !p.prefilter->MayMatch(a[0].string_value())) {
    ChargeScan(f, a[0].string_value());
    return NoMatch(Op);
  }
  return Op(p.re, a, f);
}

constexpr KindMask kS = K(Kind::kString), kI = K(Kind::kInt);

constexpr Overload kRegex[] = {
    {"matches", false, 2, {kS, kS}, Dynamic<MatchesWith>, false, PrepareRegex, Compiled<MatchesWith>, 1},
    {"matches", true, 2, {kS, kS}, Dynamic<MatchesWith>, false, PrepareRegex, Compiled<MatchesWith>, 1},
    {"find", true, 2, {kS, kS}, Dynamic<FindWith>, false, PrepareRegex, Compiled<FindWith>, 1},
    {"findAll", true, 2, {kS, kS}, Dynamic<FindAllWith>, false, PrepareRegex, Compiled<FindAllWith>, 1},
    {"findAll", true, 3, {kS, kS, kI}, Dynamic<FindAllWith>, false, PrepareRegex, Compiled<FindAllWith>, 1},
};

}  // namespace

std::span<const Overload> RegexOverloads() { return kRegex; }

}  // namespace clausegate::cel
