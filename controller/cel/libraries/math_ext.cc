// The CEL math extension: math.greatest/least, rounding, abs, sign, NaN/Inf
// tests, bit operations.

#include <cmath>

#include "cel/runtime/runtime.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

// math.greatest / math.least over arguments or a single list argument.
template <bool Greatest>
Value Extreme(Args a, Frame& f) {
  std::vector<Value> items;
  if (a.size() == 1 && a[0].kind() == Kind::kList) {
    a[0].ForEachElement([&](const Value& v) {
      items.push_back(v);
      return f.Charge(1);
    });
    if (items.empty()) return Value::Error(Greatest ? "math.greatest(list) argument must not be empty" : "math.least(list) argument must not be empty");
  } else {
    items.assign(a.begin(), a.end());
  }
  const Value* best = nullptr;
  for (const Value& v : items) {
    if (!v.is_numeric()) return NoSuchOverload(Greatest ? "math.greatest" : "math.least");
    if (!best) {
      best = &v;
      continue;
    }
    Order o = CompareValues(v, *best);
    if (o == Order::kUnordered) return Value::Error("NaN values cannot be ordered");
    if ((Greatest && o == Order::kGreater) || (!Greatest && o == Order::kLess)) best = &v;
  }
  return *best;
}

Value Ceil(Args a, Frame&) { return Value::Double(std::ceil(a[0].double_value())); }
Value Floor(Args a, Frame&) { return Value::Double(std::floor(a[0].double_value())); }
Value Round(Args a, Frame&) { return Value::Double(std::round(a[0].double_value())); }  // half away from zero
Value Trunc(Args a, Frame&) { return Value::Double(std::trunc(a[0].double_value())); }
Value Sqrt(Args a, Frame&) {
  double d = a[0].kind() == Kind::kDouble ? a[0].double_value()
             : a[0].kind() == Kind::kInt  ? static_cast<double>(a[0].int_value())
                                          : static_cast<double>(a[0].uint_value());
  return Value::Double(std::sqrt(d));
}
Value AbsInt(Args a, Frame&) {
  if (a[0].int_value() == INT64_MIN) return Value::Error("integer overflow");
  return Value::Int(std::llabs(a[0].int_value()));
}
Value AbsDouble(Args a, Frame&) { return Value::Double(std::fabs(a[0].double_value())); }
Value SignInt(Args a, Frame&) { return Value::Int((a[0].int_value() > 0) - (a[0].int_value() < 0)); }
Value SignUint(Args a, Frame&) { return Value::Uint(a[0].uint_value() > 0 ? 1 : 0); }
Value SignDouble(Args a, Frame&) {
  double d = a[0].double_value();
  if (std::isnan(d)) return a[0];
  return Value::Double(d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0);
}
Value IsNaN(Args a, Frame&) { return Value::Bool(std::isnan(a[0].double_value())); }
Value IsInf(Args a, Frame&) { return Value::Bool(std::isinf(a[0].double_value())); }
Value IsFinite(Args a, Frame&) { return Value::Bool(std::isfinite(a[0].double_value())); }

Value BitAndInt(Args a, Frame&) { return Value::Int(a[0].int_value() & a[1].int_value()); }
Value BitAndUint(Args a, Frame&) { return Value::Uint(a[0].uint_value() & a[1].uint_value()); }
Value BitOrInt(Args a, Frame&) { return Value::Int(a[0].int_value() | a[1].int_value()); }
Value BitOrUint(Args a, Frame&) { return Value::Uint(a[0].uint_value() | a[1].uint_value()); }
Value BitXorInt(Args a, Frame&) { return Value::Int(a[0].int_value() ^ a[1].int_value()); }
Value BitXorUint(Args a, Frame&) { return Value::Uint(a[0].uint_value() ^ a[1].uint_value()); }
Value BitNotInt(Args a, Frame&) { return Value::Int(~a[0].int_value()); }
Value BitNotUint(Args a, Frame&) { return Value::Uint(~a[0].uint_value()); }

// Shifts work on the two's complement bits; right shifts are logical.
template <bool Left>
Value Shift(Args a, Frame&) {
  int64_t n = a[1].int_value();
  if (n < 0) return Value::Error("math.bitShift: negative offset " + std::to_string(n));
  bool is_int = a[0].kind() == Kind::kInt;
  uint64_t bits = is_int ? static_cast<uint64_t>(a[0].int_value()) : a[0].uint_value();
  uint64_t r = n >= 64 ? 0 : Left ? bits << n : bits >> n;
  return is_int ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
}

constexpr KindMask kI = K(Kind::kInt), kU = K(Kind::kUint), kD = K(Kind::kDouble), kL = K(Kind::kList);
constexpr KindMask kNum = kI | kU | kD;

constexpr Overload kMath[] = {
    {"math.greatest", false, 1, {kNum | kL}, Extreme<true>, true},
    {"math.least", false, 1, {kNum | kL}, Extreme<false>, true},
    {"math.ceil", false, 1, {kD}, Ceil},
    {"math.floor", false, 1, {kD}, Floor},
    {"math.round", false, 1, {kD}, Round},
    {"math.trunc", false, 1, {kD}, Trunc},
    {"math.sqrt", false, 1, {kNum}, Sqrt},
    {"math.abs", false, 1, {kI}, AbsInt},
    {"math.abs", false, 1, {kU}, [](Args a, Frame&) { return a[0]; }},
    {"math.abs", false, 1, {kD}, AbsDouble},
    {"math.sign", false, 1, {kI}, SignInt},
    {"math.sign", false, 1, {kU}, SignUint},
    {"math.sign", false, 1, {kD}, SignDouble},
    {"math.isNaN", false, 1, {kD}, IsNaN},
    {"math.isInf", false, 1, {kD}, IsInf},
    {"math.isFinite", false, 1, {kD}, IsFinite},
    {"math.bitAnd", false, 2, {kI, kI}, BitAndInt},
    {"math.bitAnd", false, 2, {kU, kU}, BitAndUint},
    {"math.bitOr", false, 2, {kI, kI}, BitOrInt},
    {"math.bitOr", false, 2, {kU, kU}, BitOrUint},
    {"math.bitXor", false, 2, {kI, kI}, BitXorInt},
    {"math.bitXor", false, 2, {kU, kU}, BitXorUint},
    {"math.bitNot", false, 1, {kI}, BitNotInt},
    {"math.bitNot", false, 1, {kU}, BitNotUint},
    {"math.bitShiftLeft", false, 2, {kI | kU, kI}, Shift<true>},
    {"math.bitShiftRight", false, 2, {kI | kU, kI}, Shift<false>},
};

}  // namespace

std::span<const Overload> MathOverloads() { return kMath; }

}  // namespace clausegate::cel
