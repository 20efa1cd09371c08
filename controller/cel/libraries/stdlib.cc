// The CEL standard library: arithmetic, conversions, size, string predicates,
// timestamps and durations.

#include <cerrno>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "cel/runtime/runtime.h"
#include "common/utf8.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

Value Overflow() { return Value::Error("integer overflow"); }
Value RangeError(std::string_view what) { return Value::Error(std::string(what) + " out of range"); }

// --- arithmetic -------------------------------------------------------------

Value AddInt(Args a, Frame&) {
  int64_t r;
  if (__builtin_add_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value SubInt(Args a, Frame&) {
  int64_t r;
  if (__builtin_sub_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value MulInt(Args a, Frame&) {
  int64_t r;
  if (__builtin_mul_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value DivInt(Args a, Frame&) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return Value::Error("division by zero");
  if (x == INT64_MIN && y == -1) return Overflow();
  return Value::Int(x / y);
}
Value ModInt(Args a, Frame&) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return Value::Error("modulus by zero");
  if (x == INT64_MIN && y == -1) return Overflow();
  return Value::Int(x % y);
}
Value NegInt(Args a, Frame&) {
  if (a[0].int_value() == INT64_MIN) return Overflow();
  return Value::Int(-a[0].int_value());
}
Value AddUint(Args a, Frame&) {
  uint64_t r;
  if (__builtin_add_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value SubUint(Args a, Frame&) {
  uint64_t r;
  if (__builtin_sub_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value MulUint(Args a, Frame&) {
  uint64_t r;
  if (__builtin_mul_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value DivUint(Args a, Frame&) {
  if (a[1].uint_value() == 0) return Value::Error("division by zero");
  return Value::Uint(a[0].uint_value() / a[1].uint_value());
}
Value ModUint(Args a, Frame&) {
  if (a[1].uint_value() == 0) return Value::Error("modulus by zero");
  return Value::Uint(a[0].uint_value() % a[1].uint_value());
}
Value AddDouble(Args a, Frame&) { return Value::Double(a[0].double_value() + a[1].double_value()); }
Value SubDouble(Args a, Frame&) { return Value::Double(a[0].double_value() - a[1].double_value()); }
Value MulDouble(Args a, Frame&) { return Value::Double(a[0].double_value() * a[1].double_value()); }
Value DivDouble(Args a, Frame&) { return Value::Double(a[0].double_value() / a[1].double_value()); }
Value NegDouble(Args a, Frame&) { return Value::Double(-a[0].double_value()); }
Value NegDuration(Args a, Frame&) {
  if (a[0].duration_value() == INT64_MIN) return Overflow();
  return Value::Duration(-a[0].duration_value());
}

Value Concat(Args a, Frame& f) {
  std::string_view x = a[0].string_value(), y = a[1].string_value();
  f.Charge(static_cast<int64_t>((x.size() + y.size()) / 10));
  return Value::Joined(x, y, a[0].kind() == Kind::kBytes ? Kind::kBytes : Kind::kString);
}

Value ConcatList(Args a, Frame& f) {
  std::vector<Value> out;
  out.reserve(a[0].list_size() + a[1].list_size());
  f.Charge(static_cast<int64_t>(out.capacity()));
  auto push = [&](const Value& v) {
    out.push_back(v);
    return true;
  };
  a[0].ForEachElement(push);
  a[1].ForEachElement(push);
  return Value::List(std::move(out));
}

Value TsFromAdd(const Timestamp& t, int64_t d) {
  auto r = AddDuration(t, d);
  if (!r) return RangeError("timestamp");
  return Value::Timestamp(*r);
}
Value AddTsDur(Args a, Frame&) { return TsFromAdd(a[0].timestamp_value(), a[1].duration_value()); }
Value AddDurTs(Args a, Frame&) { return TsFromAdd(a[1].timestamp_value(), a[0].duration_value()); }
Value SubTsDur(Args a, Frame&) {
  if (a[1].duration_value() == INT64_MIN) return RangeError("timestamp");
  return TsFromAdd(a[0].timestamp_value(), -a[1].duration_value());
}
Value SubTsTs(Args a, Frame&) {
  auto r = SubtractTimestamps(a[0].timestamp_value(), a[1].timestamp_value());
  if (!r) return RangeError("duration");
  return Value::Duration(*r);
}
Value AddDurDur(Args a, Frame&) {
  auto r = AddDurations(a[0].duration_value(), a[1].duration_value());
  if (!r) return RangeError("duration");
  return Value::Duration(*r);
}
Value SubDurDur(Args a, Frame&) {
  auto r = SubtractDurations(a[0].duration_value(), a[1].duration_value());
  if (!r) return RangeError("duration");
  return Value::Duration(*r);
}

// --- conversions -------------------------------------------------------------

Value Identity(Args a, Frame&) { return a[0]; }
Value TypeOf(Args a, Frame&) { return a[0].TypeOf(); }

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  std::string t(s);
  if (!(std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-' || t[0] == '+')) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || end == t.c_str()) return std::nullopt;
  return v;
}

Value IntFromUint(Args a, Frame&) {
  if (a[0].uint_value() > static_cast<uint64_t>(INT64_MAX)) return RangeError("int");
  return Value::Int(static_cast<int64_t>(a[0].uint_value()));
}
Value IntFromDouble(Args a, Frame&) {
  double d = a[0].double_value();
  // Exclusive bounds: the extremes themselves do not round-trip.
  if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) return RangeError("int");
  return Value::Int(static_cast<int64_t>(d));
}
Value IntFromString(Args a, Frame&) {
  auto v = ParseInt64(a[0].string_value());
  if (!v) return Value::Error("cannot convert '" + std::string(a[0].string_value()) + "' to int");
  return Value::Int(*v);
}
Value IntFromTimestamp(Args a, Frame&) { return Value::Int(a[0].timestamp_value().seconds); }
Value IntFromDuration(Args a, Frame&) { return Value::Int(a[0].duration_value()); }

Value UintFromInt(Args a, Frame&) {
  if (a[0].int_value() < 0) return RangeError("uint");
  return Value::Uint(static_cast<uint64_t>(a[0].int_value()));
}
Value UintFromDouble(Args a, Frame&) {
  double d = a[0].double_value();
  if (!(d >= 0 && d < 18446744073709551616.0)) return RangeError("uint");  // -0.5 too, as cel-go
  return Value::Uint(static_cast<uint64_t>(d));
}
Value UintFromString(Args a, Frame&) {
  std::string t(a[0].string_value());
  if (t.empty() || t.size() > 32 || !std::isdigit(static_cast<unsigned char>(t[0]))) {
    return Value::Error("cannot convert '" + t + "' to uint");
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(t.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return Value::Error("cannot convert '" + t + "' to uint");
  return Value::Uint(v);
}

Value DoubleFromInt(Args a, Frame&) { return Value::Double(static_cast<double>(a[0].int_value())); }
Value DoubleFromUint(Args a, Frame&) { return Value::Double(static_cast<double>(a[0].uint_value())); }
// Go's strconv rule for digit separators: an underscore only between digits (or after
// a base prefix), never first or last.
bool UnderscoresOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && (std::tolower(s[1]) == 'b' || std::tolower(s[1]) == 'o' || std::tolower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = std::tolower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && std::isxdigit(static_cast<unsigned char>(c)))) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

Value DoubleFromString(Args a, Frame&) {
  std::string t(a[0].string_value());
  if (t.find('_') != std::string::npos) {
    if (!UnderscoresOk(t)) return Value::Error("cannot convert '" + t + "' to double");
    t.erase(std::remove(t.begin(), t.end(), '_'), t.end());  // as Go's ParseFloat reads them
  }
  // strtod is more lenient than Go's ParseFloat: no leading space, and hex only
  // with a binary exponent.
  bool hex = t.find_first_of("xX") != std::string::npos;
  if (t.empty() || t.size() > 64 || std::isspace(static_cast<unsigned char>(t[0])) ||
      (hex && t.find_first_of("pP") == std::string::npos)) {
    return Value::Error("cannot convert '" + t + "' to double");
  }
  // Go reads "nan" only unsigned and never "nan(...)"; strtod reads both.
  size_t lead = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  if (lead < t.size() && (t[lead] == 'n' || t[lead] == 'N') && (lead == 1 || t.size() != 3)) {
    return Value::Error("cannot convert '" + t + "' to double");
  }
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (*end != '\0') return Value::Error("cannot convert '" + t + "' to double");
  // Go's ParseFloat refuses a number too large for a double (not one too small).
  if (errno == ERANGE && std::isinf(d)) return Value::Error("cannot convert '" + t + "' to double: value out of range");
  return Value::Double(d);
}

Value StringFromAny(Args a, Frame&) {
  switch (a[0].kind()) {
    case Kind::kString: return a[0];
    case Kind::kBytes:
      if (!utf8::IsValid(a[0].string_value())) return Value::Error("invalid UTF-8 in bytes, cannot convert to string");
      return Value::String(std::string(a[0].string_value()));
    case Kind::kDouble:
      // cel-go converts with Go's %g, which spells the infinities +Inf and -Inf.
      if (std::isinf(a[0].double_value())) return Value::String(a[0].double_value() > 0 ? "+Inf" : "-Inf");
      return Value::String(ValueToString(a[0]));
    default: return Value::String(ValueToString(a[0]));
  }
}

Value BytesFromString(Args a, Frame&) { return Value::Bytes(std::string(a[0].string_value())); }

Value BoolFromString(Args a, Frame&) {
  std::string_view s = a[0].string_value();
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") return Value::Bool(false);
  return Value::Error("Type conversion error: cannot convert '" + std::string(s) + "' to bool");
}

Value TimestampFromString(Args a, Frame&) {
  auto t = ParseTimestamp(a[0].string_value());
  if (!t) return Value::Error("invalid timestamp or timestamp out of range: '" + std::string(a[0].string_value()) + "'");
  return Value::Timestamp(*t);
}
Value TimestampFromInt(Args a, Frame&) {
  Timestamp t{a[0].int_value(), 0};
  if (!TimestampInRange(t)) return RangeError("timestamp");
  return Value::Timestamp(t);
}
Value DurationFromString(Args a, Frame&) {
  auto d = ParseDuration(a[0].string_value());
  if (!d) return Value::Error("invalid duration or duration out of range: '" + std::string(a[0].string_value()) + "'");
  return Value::Duration(*d);
}

// --- size and string predicates ---------------------------------------------

Value Size(Args a, Frame& f) {
  switch (a[0].kind()) {
    case Kind::kString:
      f.Charge(static_cast<int64_t>(a[0].string_value().size() / 10));
      return Value::Int(static_cast<int64_t>(utf8::Length(a[0].string_value())));
    case Kind::kBytes: return Value::Int(static_cast<int64_t>(a[0].string_value().size()));
    case Kind::kList: return Value::Int(static_cast<int64_t>(a[0].list_size()));
    default: return Value::Int(static_cast<int64_t>(a[0].map_size()));
  }
}

Value Contains(Args a, Frame& f) {
  f.Charge(static_cast<int64_t>(a[0].string_value().size() / 10));
  return Value::Bool(a[0].string_value().find(a[1].string_value()) != std::string_view::npos);
}
Value StartsWith(Args a, Frame&) { return Value::Bool(a[0].string_value().starts_with(a[1].string_value())); }
Value EndsWith(Args a, Frame&) { return Value::Bool(a[0].string_value().ends_with(a[1].string_value())); }

// --- timestamp and duration accessors ----------------------------------------

enum class Field { kFullYear, kMonth, kDate, kDayOfMonth, kDayOfWeek, kDayOfYear, kHours, kMinutes, kSeconds, kMillis };

Value CivilField(const Timestamp& t, int64_t offset, Field field) {
  CivilTime c = ToCivil(t.seconds + offset, t.nanos);
  switch (field) {
    case Field::kFullYear: return Value::Int(c.year);
    case Field::kMonth: return Value::Int(c.month - 1);
    case Field::kDate: return Value::Int(c.day);
    case Field::kDayOfMonth: return Value::Int(c.day - 1);
    case Field::kDayOfWeek: return Value::Int(c.day_of_week);
    case Field::kDayOfYear: return Value::Int(c.day_of_year);
    case Field::kHours: return Value::Int(c.hour);
    case Field::kMinutes: return Value::Int(c.minute);
    case Field::kSeconds: return Value::Int(c.second);
    case Field::kMillis: return Value::Int(c.nanos / 1000000);
  }
  return Value();
}

Value UnknownZone(std::string_view zone) { return Value::Error("unknown time zone " + std::string(zone)); }

// ts.getX() in UTC, or ts.getX(zone) with a zone computed at evaluation time.
template <Field F>
Value TsField(Args a, Frame&) {
  Timestamp t = a[0].timestamp_value();
  if (a.size() == 1) return CivilField(t, 0, F);
  auto zone = LoadTimeZone(a[1].string_value());
  if (!zone) return UnknownZone(a[1].string_value());
  return CivilField(t, zone->OffsetAt(t.seconds), F);
}

// A literal zone is loaded once, when the expression is compiled. An unknown one
// is left to evaluation, whose error it is in cel-go too.
Prepared PrepareZone(const Value& zone) {
  auto z = LoadTimeZone(zone.string_value());
  if (!z) return {nullptr, ""};
  return {std::make_shared<const TimeZone>(std::move(*z)), ""};
}

template <Field F>
Value TsFieldInZone(Args a, const void* zone, Frame&) {
  Timestamp t = a[0].timestamp_value();
  return CivilField(t, static_cast<const TimeZone*>(zone)->OffsetAt(t.seconds), F);
}

template <int64_t Divisor>
Value DurationField(Args a, Frame&) {
  return Value::Int(a[0].duration_value() / Divisor);
}

constexpr KindMask kI = K(Kind::kInt), kU = K(Kind::kUint), kD = K(Kind::kDouble), kS = K(Kind::kString),
                   kB = K(Kind::kBytes), kL = K(Kind::kList), kM = K(Kind::kMap), kTs = K(Kind::kTimestamp),
                   kDur = K(Kind::kDuration), kBool = K(Kind::kBool), kT = K(Kind::kType);

constexpr Overload kStandard[] = {
    {"_+_", false, 2, {kI, kI}, AddInt},
    {"_+_", false, 2, {kU, kU}, AddUint},
    {"_+_", false, 2, {kD, kD}, AddDouble},
    {"_+_", false, 2, {kS, kS}, Concat},
    {"_+_", false, 2, {kB, kB}, Concat},
    {"_+_", false, 2, {kL, kL}, ConcatList},
    {"_+_", false, 2, {kTs, kDur}, AddTsDur},
    {"_+_", false, 2, {kDur, kTs}, AddDurTs},
    {"_+_", false, 2, {kDur, kDur}, AddDurDur},
    {"_-_", false, 2, {kI, kI}, SubInt},
    {"_-_", false, 2, {kU, kU}, SubUint},
    {"_-_", false, 2, {kD, kD}, SubDouble},
    {"_-_", false, 2, {kTs, kTs}, SubTsTs},
    {"_-_", false, 2, {kTs, kDur}, SubTsDur},
    {"_-_", false, 2, {kDur, kDur}, SubDurDur},
    {"_*_", false, 2, {kI, kI}, MulInt},
    {"_*_", false, 2, {kU, kU}, MulUint},
    {"_*_", false, 2, {kD, kD}, MulDouble},
    {"_/_", false, 2, {kI, kI}, DivInt},
    {"_/_", false, 2, {kU, kU}, DivUint},
    {"_/_", false, 2, {kD, kD}, DivDouble},
    {"_%_", false, 2, {kI, kI}, ModInt},
    {"_%_", false, 2, {kU, kU}, ModUint},
    {"-_", false, 1, {kI}, NegInt},
    {"-_", false, 1, {kD}, NegDouble},
    {"-_", false, 1, {kDur}, NegDuration},  // cel-go negates a (dynamic) duration too

    {"dyn", false, 1, {kAny}, Identity},
    {"type", false, 1, {kAny}, TypeOf},
    {"int", false, 1, {kI}, Identity},
    {"int", false, 1, {kU}, IntFromUint},
    {"int", false, 1, {kD}, IntFromDouble},
    {"int", false, 1, {kS}, IntFromString},
    {"int", false, 1, {kTs}, IntFromTimestamp},
    {"int", false, 1, {kDur}, IntFromDuration},
    {"uint", false, 1, {kU}, Identity},
    {"uint", false, 1, {kI}, UintFromInt},
    {"uint", false, 1, {kD}, UintFromDouble},
    {"uint", false, 1, {kS}, UintFromString},
    {"double", false, 1, {kD}, Identity},
    {"double", false, 1, {kI}, DoubleFromInt},
    {"double", false, 1, {kU}, DoubleFromUint},
    {"double", false, 1, {kS}, DoubleFromString},
    {"string", false, 1, {kS | kB | kI | kU | kD | kBool | kTs | kDur | kT}, StringFromAny},
    {"bytes", false, 1, {kB}, Identity},
    {"bytes", false, 1, {kS}, BytesFromString},
    {"bool", false, 1, {kBool}, Identity},
    {"bool", false, 1, {kS}, BoolFromString},
    {"timestamp", false, 1, {kTs}, Identity},
    {"timestamp", false, 1, {kS}, TimestampFromString},
    {"timestamp", false, 1, {kI}, TimestampFromInt},
    {"duration", false, 1, {kDur}, Identity},
    {"duration", false, 1, {kS}, DurationFromString},

    {"size", false, 1, {kS | kB | kL | kM}, Size},
    {"size", true, 1, {kS | kB | kL | kM}, Size},
    {"contains", true, 2, {kS, kS}, Contains},
    {"startsWith", true, 2, {kS, kS}, StartsWith},
    {"endsWith", true, 2, {kS, kS}, EndsWith},

#define CG_TS_FIELD(name, field)                                                                  \
  {name, true, 1, {kTs}, TsField<Field::field>},                                                  \
      {name, true, 2, {kTs, kS}, TsField<Field::field>, false, PrepareZone, TsFieldInZone<Field::field>, 1}
    CG_TS_FIELD("getFullYear", kFullYear),
    CG_TS_FIELD("getMonth", kMonth),
    CG_TS_FIELD("getDate", kDate),
    CG_TS_FIELD("getDayOfMonth", kDayOfMonth),
    CG_TS_FIELD("getDayOfWeek", kDayOfWeek),
    CG_TS_FIELD("getDayOfYear", kDayOfYear),
    CG_TS_FIELD("getHours", kHours),
    CG_TS_FIELD("getMinutes", kMinutes),
    CG_TS_FIELD("getSeconds", kSeconds),
    CG_TS_FIELD("getMilliseconds", kMillis),
#undef CG_TS_FIELD
    {"getHours", true, 1, {kDur}, DurationField<3600000000000LL>},
    {"getMinutes", true, 1, {kDur}, DurationField<60000000000LL>},
    {"getSeconds", true, 1, {kDur}, DurationField<1000000000LL>},
    {"getMilliseconds", true, 1, {kDur}, DurationField<1000000LL>},
};

}  // namespace

std::span<const Overload> StandardOverloads() { return kStandard; }

}  // namespace clausegate::cel
