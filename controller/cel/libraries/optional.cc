// Optional values: optional.of/ofNonZeroValue/none, hasValue, value, orValue, or,
// optional.unwrap / unwrapOpt.
// (optMap and optFlatMap are macros; ?. and [?] are operators.)

#include "cel/runtime/runtime.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

bool IsZeroValue(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return !v.bool_value();
    case Kind::kInt: return v.int_value() == 0;
    case Kind::kUint: return v.uint_value() == 0;
    case Kind::kDouble: return v.double_value() == 0;
    case Kind::kString:
    case Kind::kBytes: return v.string_value().empty();
    case Kind::kList: return v.list_size() == 0;
    case Kind::kMap: return v.map_size() == 0;
    case Kind::kDuration: return v.duration_value() == 0;
    case Kind::kTimestamp: return v.timestamp_value().seconds == 0 && v.timestamp_value().nanos == 0;
    case Kind::kOptional: return !v.optional_has_value();
    default: return false;
  }
}

Value Of(Args a, Frame&) { return Value::Optional(a[0]); }
Value OfNonZero(Args a, Frame&) { return IsZeroValue(a[0]) ? Value::OptionalNone() : Value::Optional(a[0]); }
Value None(Args, Frame&) { return Value::OptionalNone(); }
Value HasValue(Args a, Frame&) { return Value::Bool(a[0].optional_has_value()); }
Value GetValue(Args a, Frame&) {
  if (!a[0].optional_has_value()) return Value::Error("optional.none() dereference");
  return a[0].optional_value();
}
Value OrValue(Args a, Frame&) { return a[0].optional_has_value() ? a[0].optional_value() : a[1]; }
Value Or(Args a, Frame&) { return a[0].optional_has_value() ? a[0] : a[1]; }

// The values of the present optionals of a list, in order.
Value Unwrap(Args a, Frame& f) {
  std::vector<Value> out;
  std::optional<Value> error;
  a[0].ForEachElement([&](const Value& e) {
    if (!f.Charge(1)) return false;
    if (e.kind() != Kind::kOptional) {
      error = Value::Error("value " + ValueToString(e) + " is not optional");
      return false;
    }
    if (e.optional_has_value()) out.push_back(e.optional_value());
    return true;
  });
  if (error) return *error;
  return Value::List(std::move(out));
}

constexpr KindMask kO = K(Kind::kOptional);

constexpr Overload kOptional[] = {
    {"optional.of", false, 1, {kAny}, Of},
    {"optional.ofNonZeroValue", false, 1, {kAny}, OfNonZero},
    {"optional.none", false, 0, {}, None},
    {"hasValue", true, 1, {kO}, HasValue},
    {"value", true, 1, {kO}, GetValue},
    {"orValue", true, 2, {kO, kAny}, OrValue},
    {"or", true, 2, {kO, kO}, Or},
    {"optional.unwrap", false, 1, {K(Kind::kList)}, Unwrap},
    {"unwrapOpt", true, 1, {K(Kind::kList)}, Unwrap},
};

}  // namespace

std::span<const Overload> OptionalOverloads() { return kOptional; }

}  // namespace clausegate::cel
