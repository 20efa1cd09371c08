// List functions: the Kubernetes list library (isSorted, sum, min, max, indexOf,
// lastIndexOf), the common list extension (slice, flatten, distinct, reverse,
// sort, first, last, lists.range) and the sets extension (sets.contains,
// sets.equivalent, sets.intersects).

#include <cmath>
#include <algorithm>

#include "cel/runtime/runtime.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

std::vector<Value> Elements(const Value& list, Frame& f) {
  std::vector<Value> out;
  out.reserve(list.list_size());
  list.ForEachElement([&](const Value& v) {
    out.push_back(v);
    return true;
  });
  f.Charge(static_cast<int64_t>(out.size()));
  return out;
}

bool Comparable(const Value& a, const Value& b) {
  Order o = CompareValues(a, b);
  return o != Order::kNoOverload;
}

Value IsSorted(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  for (size_t i = 1; i < items.size(); ++i) {
    Order o = CompareValues(items[i - 1], items[i]);
    if (o == Order::kNoOverload) return NoSuchOverload("isSorted");
    if (o == Order::kGreater) return Value::Bool(false);
  }
  return Value::Bool(true);
}

Value Sum(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  if (items.empty()) return Value::Int(0);
  Kind k = items[0].kind();
  int64_t si = 0;
  uint64_t su = 0;
  double sd = 0;
  for (const Value& v : items) {
    if (v.kind() != k) return NoSuchOverload("sum");
    switch (k) {
      case Kind::kInt:
        if (__builtin_add_overflow(si, v.int_value(), &si)) return Value::Error("integer overflow");
        break;
      case Kind::kDuration:
        if (__builtin_add_overflow(si, v.duration_value(), &si)) return Value::Error("duration out of range");
        break;
      case Kind::kUint:
        if (__builtin_add_overflow(su, v.uint_value(), &su)) return Value::Error("integer overflow");
        break;
      case Kind::kDouble: sd += v.double_value(); break;
      default: return NoSuchOverload("sum");
    }
  }
  switch (k) {
    case Kind::kInt: return Value::Int(si);
    case Kind::kDuration: return Value::Duration(si);
    case Kind::kUint: return Value::Uint(su);
    default: return Value::Double(sd);
  }
}

template <bool Max>
Value MinMax(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  if (items.empty()) return Value::Error(Max ? "max of an empty list" : "min of an empty list");
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    Order o = CompareValues(items[i], items[best]);
    if (o == Order::kNoOverload) return NoSuchOverload(Max ? "max" : "min");
    if ((Max && o == Order::kGreater) || (!Max && o == Order::kLess)) best = i;
  }
  return items[best];
}

template <bool Last>
Value IndexOf(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  int64_t found = -1;
  WorkBudget work = f.Remaining();
  for (size_t i = 0; i < items.size() && !work.exhausted(); ++i) {
    if (ValuesEqual(items[i], a[1], &work)) {
      found = static_cast<int64_t>(i);
      if (!Last) break;
    }
  }
  if (!f.Settle(work)) return Value::Error(std::string(kCostExceeded));
  return Value::Int(found);
}

Value Slice(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  int64_t s = a[1].int_value(), e = a[2].int_value(), n = static_cast<int64_t>(items.size());
  if (s < 0 || e < 0) return Value::Error("cannot slice(" + std::to_string(s) + ", " + std::to_string(e) + "), negative indexes not supported");
  if (s > e) return Value::Error("cannot slice(" + std::to_string(s) + ", " + std::to_string(e) + "), start index must be less than or equal to end index");
  if (e > n) return Value::Error("cannot slice(" + std::to_string(s) + ", " + std::to_string(e) + "), list is length " + std::to_string(n));
  return Value::List(std::vector<Value>(items.begin() + s, items.begin() + e));
}

void FlattenInto(const Value& list, int64_t depth, std::vector<Value>& out, Frame& f) {
  list.ForEachElement([&](const Value& v) {
    if (v.kind() == Kind::kList && depth > 0) {
      FlattenInto(v, depth - 1, out, f);
    } else {
      out.push_back(v);
    }
    return f.Charge(1);
  });
}
Value Flatten(Args a, Frame& f) {
  int64_t depth = a.size() > 1 ? a[1].int_value() : 1;
  if (depth < 0) return Value::Error("level must be non-negative");
  if (depth > 64) depth = 64;  // deeper lists cannot exist within the nesting bounds
  std::vector<Value> out;
  FlattenInto(a[0], depth, out, f);
  return Value::List(std::move(out));
}

Value Distinct(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  std::vector<Value> out;
  WorkBudget work = f.Remaining();
  for (const Value& v : items) {
    bool seen = false;
    for (const Value& o : out) {
      if (ValuesEqual(o, v, &work)) {
        seen = true;
        break;
      }
    }
    if (work.exhausted()) break;
    if (!seen) out.push_back(v);
  }
  if (!f.Settle(work)) return Value::Error(std::string(kCostExceeded));
  return Value::List(std::move(out));
}

Value ReverseList(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

Value Sort(Args a, Frame& f) {
  auto items = Elements(a[0], f);
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].kind() != items[0].kind() || !Comparable(items[0], items[i])) return NoSuchOverload("sort");
  }
  if (!items.empty() && !Comparable(items[0], items[0])) return NoSuchOverload("sort");

  std::stable_sort(items.begin(), items.end(),
                   [](const Value& x, const Value& y) { return CompareValues(x, y) == Order::kLess; });
  f.Charge(static_cast<int64_t>(items.size()));
  return Value::List(std::move(items));
}

}  // namespace

Value SortByKeys(std::vector<Value> items, const std::vector<Value>& keys, Frame& f) {
  if (items.empty()) return Value::List(std::move(items));
  if (!Comparable(keys[0], keys[0]) || keys[0].kind() == Kind::kNull) {
    return Value::Error("list elements must be comparable");
  }
  for (const Value& k : keys) {
    if (k.kind() != keys[0].kind()) return Value::Error("list elements must have the same type");
  }
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return CompareValues(keys[x], keys[y]) == Order::kLess; });
  f.Charge(static_cast<int64_t>(items.size()));
  std::vector<Value> out;
  out.reserve(items.size());
  for (size_t i : order) out.push_back(std::move(items[i]));
  return Value::List(std::move(out));
}

namespace {

Value First(Args a, Frame&) {
  if (a[0].list_size() == 0) return Value::OptionalNone();
  return Value::Optional(a[0].list_at(0));
}
Value Last(Args a, Frame&) {
  size_t n = a[0].list_size();
  if (n == 0) return Value::OptionalNone();
  return Value::Optional(a[0].list_at(n - 1));
}

Value Range(Args a, Frame& f) {
  int64_t n = a[0].int_value();
  if (n < 0) return Value::Error("lists.range: size must be non-negative, got " + std::to_string(n));
  constexpr int64_t kMaxRange = 1'000'000;  // cel-go's default bound
  if (n > kMaxRange) {
    return Value::Error("lists.range: size " + std::to_string(n) + " exceeds maximum allowed (" + std::to_string(kMaxRange) + ")");
  }
  if (!f.Charge(n)) return Value::Error(std::string(kCostExceeded));  // bounds n before reserve
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(Value::Int(i));
  return Value::List(std::move(out));
}

// The sets extension: lists compared as sets, with CEL equality (1 == 1.0).
bool Member(const Value& v, const std::vector<Value>& in, Frame& f) {
  for (const Value& x : in) {
    f.Charge(1);
    if (ValuesEqual(v, x)) return true;
  }
  return false;
}
bool AllIn(const std::vector<Value>& items, const std::vector<Value>& in, Frame& f) {
  for (const Value& v : items) {
    if (!Member(v, in, f)) return false;
  }
  return true;
}
Value SetsContains(Args a, Frame& f) {
  auto all = Elements(a[0], f), sub = Elements(a[1], f);
  return Value::Bool(AllIn(sub, all, f));
}
Value SetsEquivalent(Args a, Frame& f) {
  auto x = Elements(a[0], f), y = Elements(a[1], f);
  return Value::Bool(AllIn(x, y, f) && AllIn(y, x, f));
}
Value SetsIntersects(Args a, Frame& f) {
  auto x = Elements(a[0], f), y = Elements(a[1], f);
  for (const Value& v : x) {
    if (Member(v, y, f)) return Value::Bool(true);
  }
  return Value::Bool(false);
}

// The Kubernetes lists library (1.37): x.includes(y) is membership for a list, equality
// for anything else.
Value Includes(Args a, Frame& f) {
  if (a[0].kind() != Kind::kList) return Value::Bool(ValuesEqual(a[0], a[1]));
  return Value::Bool(Member(a[1], Elements(a[0], f), f));
}

constexpr KindMask kI = K(Kind::kInt), kL = K(Kind::kList);

constexpr Overload kLists[] = {
    {"isSorted", true, 1, {kL}, IsSorted},
    {"sum", true, 1, {kL}, Sum},
    {"min", true, 1, {kL}, MinMax<false>},
    {"max", true, 1, {kL}, MinMax<true>},
    {"indexOf", true, 2, {kL, kAny}, IndexOf<false>},
    {"lastIndexOf", true, 2, {kL, kAny}, IndexOf<true>},
    {"slice", true, 3, {kL, kI, kI}, Slice},
    {"flatten", true, 1, {kL}, Flatten},
    {"flatten", true, 2, {kL, kI}, Flatten},
    {"distinct", true, 1, {kL}, Distinct},
    {"reverse", true, 1, {kL}, ReverseList},
    {"sort", true, 1, {kL}, Sort},
    {"first", true, 1, {kL}, First},
    {"last", true, 1, {kL}, Last},
    {"lists.range", false, 1, {kI}, Range},
    {"includes", true, 2, {kAny, kAny}, Includes},
    {"sets.contains", false, 2, {kL, kL}, SetsContains},
    {"sets.equivalent", false, 2, {kL, kL}, SetsEquivalent},
    {"sets.intersects", false, 2, {kL, kL}, SetsIntersects},
};

}  // namespace

std::span<const Overload> ListOverloads() { return kLists; }

}  // namespace clausegate::cel
