#pragma once
// The actual cost of an evaluation, counted as the API server counts it: cel-go's
// runtime cost tracker with Kubernetes' function costs (k8s.io/apiserver's
// library.CostEstimator) and the lists and sets extensions' trackers. A
// ValidatingAdmissionPolicy expression is cancelled once this count passes the
// per-call limit (1,000,000), so the same expressions pass and fail here.
//
// What each step costs is fixed when the program is planned; a call's cost may
// depend on its arguments' sizes and on the overload the checker resolved.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "cel/checker/declarations.h"
#include "cel/values/value.h"

namespace clausegate::cel {

inline constexpr uint64_t kListCreateCost = 10;
inline constexpr uint64_t kMapCreateCost = 30;
inline constexpr std::string_view kCostLimitExceeded = "operation cancelled: actual cost limit exceeded";

// How a call is charged (cel-go names the overload each applies to).
enum class CallCost : uint8_t {
  kFree,              // evaluated for its arguments only (or/orValue, set membership)
  kUnit,              // one: the default for any call
  kFixedCheck,        // authorizer check(): 350,000
  kSelector,          // labelSelector / fieldSelector parse of args[1]
  kTraversal,         // a full walk of args[0] (isSorted, sum, max, min, indexOf, lastIndexOf, includes)
  kTenthOfFirst,      // ceil(0.1 * size(args[0])): string scans and conversions
  kTenthOfSecond,     // ceil(0.1 * size(args[1])): startsWith, endsWith
  kFifthOfFirst,      // ceil(0.2 * size(args[0])): replace, split, ip.isCanonical
  kFifthOfResult,     // ceil(0.2 * size(result)): join
  kTenthOfSmaller,    // ceil(0.1 * min(sizes)): !=, string and bytes ordering
  kEquals,            // ==: as kTenthOfSmaller, or one on Kubernetes' own types
  kTenthOfBoth,       // ceil(0.1 * (size0 + size1)): string and bytes concatenation
  kRegex,             // matches (cel-go), find / findAll (Kubernetes)
  kValidate,          // format.validate: the format's longest regex over args[1]
  kContains,          // ceil(0.1 * size0) * ceil(0.1 * size1)
  kInList,            // size(args[1])
  kContainsIp,        // cidr.containsIP(ip)
  kContainsIpString,  // cidr.containsIP(string)
  kContainsCidr,      // cidr.containsCIDR(cidr)
  kContainsCidrString,
  kListOutput,        // 11 + size(result): slice, lists.range, reverse
  kFlatten,           // 11 + depth * size(args[0])
  kSelfCompare,       // 11 + (2 or 2.1) * n^2 over args[0]: distinct, sort
  kSelfCompareKeys,   // the same over args[1]: sortBy's keys
  kSets,              // 1 + size0 * size1: sets.contains, sets.intersects
  kSetsEquivalent,    // 1 + 2 * size0 * size1
};

// The rule for a call of `function`; `unique` is the overload the checker resolved
// when exactly one matched (cel-go keys several rules on it), else null.
CallCost CallCostFor(std::string_view function, const checker::OverloadDecl* unique);

// What a call costs once evaluated. `cap` bounds the work of measuring a value
// (a walk of shared structure); the result saturates there. `known_sizes[i]`, where
// given and not kUnknownSize, is ActualSize(args[i]) measured at plan time (a
// literal pattern is measured once, not on every call).
inline constexpr uint64_t kUnknownSize = UINT64_MAX;
uint64_t CostOfCall(CallCost rule, std::span<const Value> args, const Value& result, uint64_t cap,
                    std::span<const uint64_t> known_sizes = {});

// cel-go's actualSize: code points of a string, bytes, elements of a list or map,
// the value of a full optional; 1 for anything else.
uint64_t ActualSize(const Value& v);

// The arithmetic of prices, as cel-go's (float64 products, rounded up, saturating).
inline uint64_t Saturate(double x) { return x >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(x); }
// Saturate(std::ceil(x)) for the non-negative x a price is, without a call into libm
// (x86-64's baseline has no rounding instruction): below 2^64 a truncation is exact,
// and a double past 2^53 is already whole.
inline uint64_t Ceil(double x) {
  if (!(x < 1.8e19)) return Saturate(std::ceil(x));
  if (x <= 0) return 0;
  auto whole = static_cast<uint64_t>(x);
  return whole + (static_cast<double>(whole) < x ? 1 : 0);
}
inline uint64_t Mul(uint64_t a, uint64_t b) { return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b; }
// A regular expression of `pattern` code points over a text of `text`.
inline uint64_t RegexCost(uint64_t text, uint64_t pattern) {
  return Mul(Ceil((1.0 + static_cast<double>(text)) * 0.1), Ceil(static_cast<double>(pattern) * 0.25));
}

// What == (or != when `negate`) costs on its two operands: CostOfCall's kEquals or
// kTenthOfSmaller. Nearly every comparison is of scalars or of short strings, priced
// here without a call: a tenth of the smaller size, rounded up, is 1 for a scalar
// (size 1) and for a string of 1 to 10 bytes (1 to 10 code points), 0 for ''.
inline uint64_t EqualityCost(const std::array<Value, 2>& operands, bool negate, uint64_t cap) {
  const Value& l = operands[0];
  const Value& r = operands[1];
  auto scalar = [](Kind k) {
    return k == Kind::kNull || k == Kind::kBool || k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble;
  };
  Kind lk = l.kind(), rk = r.kind();
  if (lk == Kind::kString && rk == Kind::kString) {
    size_t smaller = std::min(l.string_value().size(), r.string_value().size());
    if (smaller <= 10) return smaller == 0 ? 0 : 1;
  } else if (scalar(lk) && scalar(rk)) {
    return 1;
  }
  return CostOfCall(negate ? CallCost::kTenthOfSmaller : CallCost::kEquals, operands, Value(), cap);
}

}  // namespace clausegate::cel
