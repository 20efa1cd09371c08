#include "cel/runtime/cost.h"

#include <algorithm>
#include <cmath>

#include "common/utf8.h"

namespace clausegate::cel {
namespace {

using checker::TypeKind;

uint64_t Add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Kubernetes' own actualSize: as cel-go's, but an optional is 1.
uint64_t KubernetesSize(const Value& v) { return v.kind() == Kind::kOptional ? 1 : ActualSize(v); }

// Kubernetes' traversalCost: a tenth of each string's bytes (rounded down), summed
// over lists and maps (keys and values); 1 for any other value. Stops at `cap`.
void Traverse(const Value& v, uint64_t cap, uint64_t* cost) {
  if (*cost >= cap) return;
  switch (v.kind()) {
    case Kind::kString:
    case Kind::kBytes: *cost = Add(*cost, static_cast<uint64_t>(static_cast<double>(v.string_value().size()) * 0.1)); return;
    case Kind::kList:
      v.ForEachElement([&](const Value& e) {
        Traverse(e, cap, cost);
        return *cost < cap;
      });
      return;
    case Kind::kMap:
      v.ForEachEntry([&](const Value& k, const Value& e) {
        Traverse(k, cap, cost);
        Traverse(e, cap, cost);
        return *cost < cap;
      });
      return;
    default: *cost = Add(*cost, 1);
  }
}

// The longest regular expression Kubernetes assumes behind each named format.
uint64_t FormatRegexSize(std::string_view name) {
  if (name == "dns1123Subdomain" || name == "qualifiedName" || name == "dns1123SubdomainPrefix") return 60;
  if (name == "labelValue") return 40;
  if (name == "uri") return 1103;
  if (name == "uuid") return 70;
  if (name == "byte") return 84;
  if (name == "date" || name == "datetime") return 71;
  return 30;  // the DNS label formats
}

// cel-go: a list allocated by the call, with the call's own unit.
uint64_t AllocatingList(double factor, uint64_t size) {
  return Add(Saturate(static_cast<double>(size) * factor), 1 + kListCreateCost);
}

uint64_t SelfCompare(const Value& list) {
  if (list.kind() != Kind::kList) return 1;
  uint64_t n = list.list_size();
  double factor = 2.0;
  if (n != 0) {
    Kind k = list.list_at(0).kind();
    if (k == Kind::kString || k == Kind::kBytes) factor += 0.1;
  }
  return AllocatingList(factor, Mul(n, n));
}

bool Is(const checker::Type& t, TypeKind k) { return t.kind == k; }
bool IsOpaque(const checker::Type& t, std::string_view name) { return t.kind == TypeKind::kOpaque && t.name == name; }

}  // namespace

uint64_t ActualSize(const Value& v) {
  switch (v.kind()) {
    case Kind::kString: return utf8::Length(v.string_value());
    case Kind::kBytes: return v.string_value().size();
    case Kind::kList: return v.list_size();
    case Kind::kMap: return v.map_size();
    case Kind::kOptional: return v.optional_has_value() ? ActualSize(v.optional_value()) : 1;
    case Kind::kOpaque: return v.opaque().Size().value_or(1);
    default: return 1;
  }
}

CallCost CallCostFor(std::string_view fn, const checker::OverloadDecl* unique) {
  const std::vector<checker::Type>* args = unique ? &unique->args : nullptr;
  auto arg_is = [&](size_t i, TypeKind k) { return args && args->size() > i && Is((*args)[i], k); };
  auto both = [&](TypeKind k) { return arg_is(0, k) && arg_is(1, k); };

  // The lists and sets extensions' trackers, keyed by overload: they come first.
  if (unique) {
    if (fn == "slice" || fn == "lists.range" || (fn == "reverse" && arg_is(0, TypeKind::kList))) return CallCost::kListOutput;
    if (fn == "flatten") return CallCost::kFlatten;
    if (fn == "distinct" || fn == "sort") return CallCost::kSelfCompare;
    if (fn == "@sortByAssociatedKeys") return CallCost::kSelfCompareKeys;
    if (fn == "sets.contains" || fn == "sets.intersects") return CallCost::kSets;
    if (fn == "sets.equivalent") return CallCost::kSetsEquivalent;
  }
  // Kubernetes' CostEstimator, keyed by function name.
  if (fn == "check") return CallCost::kFixedCheck;
  static constexpr std::string_view kUnit[] = {
      "serviceAccount", "path", "group", "resource", "subresource", "namespace", "name", "allowed", "reason", "error",
      "errored", "masked", "prefixLength", "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast",
      "isLinkLocalUnicast", "isGlobalUnicast", "format.named", "sign", "asInteger", "isInteger", "asApproximateFloat",
      "isGreaterThan", "isLessThan", "compareTo", "add", "sub", "major", "minor", "patch", "getScheme", "getHostname",
      "getHost", "getPort", "getEscapedPath", "getQuery"};
  if (std::find(std::begin(kUnit), std::end(kUnit), fn) != std::end(kUnit)) return CallCost::kUnit;
  if (fn == "fieldSelector" || fn == "labelSelector") return CallCost::kSelector;
  if (fn == "isSorted" || fn == "sum" || fn == "max" || fn == "min" || fn == "indexOf" || fn == "lastIndexOf" ||
      fn == "includes") {
    return CallCost::kTraversal;
  }
  if (fn == "url" || fn == "lowerAscii" || fn == "upperAscii" || fn == "substring" || fn == "trim" ||
      fn == "jsonpatch.escapeKey" || fn == "cidr" || fn == "isIP" || fn == "isCIDR" || fn == "quantity" ||
      fn == "isQuantity" || fn == "semver" || fn == "isSemver") {
    return CallCost::kTenthOfFirst;
  }
  if (fn == "ip") return args && !args->empty() && IsOpaque((*args)[0], "net.CIDR") ? CallCost::kUnit : CallCost::kTenthOfFirst;
  if (fn == "replace" || fn == "split" || fn == "ip.isCanonical") return CallCost::kFifthOfFirst;
  if (fn == "join") return CallCost::kFifthOfResult;
  if (fn == "find" || fn == "findAll") return CallCost::kRegex;
  if (fn == "validate") return CallCost::kValidate;
  if (fn == "containsIP") return arg_is(1, TypeKind::kString) ? CallCost::kContainsIpString : CallCost::kContainsIp;
  if (fn == "containsCIDR") return arg_is(1, TypeKind::kString) ? CallCost::kContainsCidrString : CallCost::kContainsCidr;
  // cel-go's own, keyed by the resolved overload.
  if (fn == "_==_") return CallCost::kEquals;
  if (fn == "_!=_") return CallCost::kTenthOfSmaller;
  if (!unique) return CallCost::kUnit;
  if (fn == "startsWith" || fn == "endsWith") return CallCost::kTenthOfSecond;
  if ((fn == "bytes" && arg_is(0, TypeKind::kString)) || (fn == "string" && arg_is(0, TypeKind::kBytes)) ||
      fn == "strings.quote" || fn == "format") {
    return CallCost::kTenthOfFirst;
  }
  if (fn == "@in" && arg_is(1, TypeKind::kList)) return CallCost::kInList;
  if ((fn == "_<_" || fn == "_<=_" || fn == "_>_" || fn == "_>=_") && (both(TypeKind::kString) || both(TypeKind::kBytes))) {
    return CallCost::kTenthOfSmaller;
  }
  if (fn == "_+_" && (both(TypeKind::kString) || both(TypeKind::kBytes))) return CallCost::kTenthOfBoth;
  if (fn == "matches") return CallCost::kRegex;
  if (fn == "contains" && both(TypeKind::kString)) return CallCost::kContains;
  return CallCost::kUnit;
}

uint64_t CostOfCall(CallCost rule, std::span<const Value> args, const Value& result, uint64_t cap,
                    std::span<const uint64_t> known_sizes) {
  auto size = [&](size_t i) -> uint64_t {
    if (i < known_sizes.size() && known_sizes[i] != kUnknownSize) return known_sizes[i];
    return i < args.size() ? ActualSize(args[i]) : 1;
  };
  // Known sizes are never of optionals, whose two measures differ.
  auto k8s_size = [&](size_t i) -> uint64_t {
    if (i < known_sizes.size() && known_sizes[i] != kUnknownSize) return known_sizes[i];
    return i < args.size() ? KubernetesSize(args[i]) : 1;
  };
  // min(size(0), size(1)); of two strings, the longer is not counted when its
  // bytes alone show it has more code points (x != '' measures nothing).
  auto smaller = [&]() -> uint64_t {
    if (args.size() == 2 && known_sizes.empty() && args[0].kind() == Kind::kString && args[1].kind() == Kind::kString) {
      std::string_view a = args[0].string_value(), b = args[1].string_value();
      if (a.size() > b.size()) std::swap(a, b);
      // A code point is at most four bytes, and at least one. Most comparisons are
      // of short strings: within ten bytes, the smaller size is 0 when a side is
      // empty, else 1 to 10, each priced (a tenth, rounded up) as 1 is.
      if (a.size() <= 10) return a.empty() ? 0 : 1;
      if (a.size() <= b.size() / 4) return utf8::Length(a);
    }
    return std::min(size(0), size(1));
  };
  switch (rule) {
    case CallCost::kFree: return 0;
    case CallCost::kUnit: return 1;
    case CallCost::kFixedCheck: return 350000;
    case CallCost::kSelector: {
      if (args.size() < 2) return 1;
      // A selector's parse plus a list and a struct for every two characters.
      double n = static_cast<double>(k8s_size(1));
      return Add(Add(kListCreateCost, Ceil(n * 0.1)), Ceil(Ceil(n * 0.5) * static_cast<double>(kListCreateCost + 40)));
    }
    case CallCost::kTraversal: {
      if (args.empty()) return 0;
      uint64_t c = 0;
      Traverse(args[0], cap, &c);
      return c;
    }
    case CallCost::kTenthOfFirst: return Ceil(static_cast<double>(size(0)) * 0.1);
    case CallCost::kTenthOfSecond: return Ceil(static_cast<double>(size(1)) * 0.1);
    case CallCost::kFifthOfFirst: return Ceil(static_cast<double>(k8s_size(0)) * 0.2);
    case CallCost::kFifthOfResult: return Ceil(static_cast<double>(KubernetesSize(result)) * 0.2);
    case CallCost::kTenthOfSmaller: return Ceil(static_cast<double>(smaller()) * 0.1);
    case CallCost::kEquals:
      // Kubernetes prices == on its own types (quantity, IP, CIDR, URL, ...) at one.
      if (!args.empty() && args[0].kind() == Kind::kOpaque) return 1;
      return Ceil(static_cast<double>(smaller()) * 0.1);
    case CallCost::kTenthOfBoth: return Ceil(static_cast<double>(Add(size(0), size(1))) * 0.1);
    case CallCost::kRegex: return args.size() < 2 ? 1 : RegexCost(size(0), size(1));
    case CallCost::kValidate:
      // Priced by the format's regular expression; on anything else, a unit.
      if (args.size() < 2 || args[0].kind() != Kind::kOpaque || args[0].opaque().TypeName() != "kubernetes.NamedFormat") {
        return 1;
      }
      return RegexCost(k8s_size(1), FormatRegexSize(args[0].opaque().ToString()));
    case CallCost::kContains:
      return Mul(Ceil(static_cast<double>(size(0)) * 0.1), Ceil(static_cast<double>(size(1)) * 0.1));
    case CallCost::kInList: return size(1);
    case CallCost::kContainsIp:
    case CallCost::kContainsIpString:
    case CallCost::kContainsCidr:
    case CallCost::kContainsCidrString: {
      uint64_t cidr = k8s_size(0);
      uint64_t c = Ceil(static_cast<double>(cidr + cidr) * 0.1);
      if (rule == CallCost::kContainsCidr || rule == CallCost::kContainsCidrString) {
        c = Add(c, Add(Ceil(static_cast<double>(cidr) * 0.1), 1));
      }
      if (rule == CallCost::kContainsIpString || rule == CallCost::kContainsCidrString) {
        c = Add(c, Ceil(static_cast<double>(k8s_size(1)) * 0.1));
      }
      return c;
    }
    case CallCost::kListOutput: return AllocatingList(1, ActualSize(result));
    case CallCost::kFlatten: {
      double depth = args.size() == 2 && args[1].kind() == Kind::kInt ? static_cast<double>(args[1].int_value()) : 1.0;
      if (depth < 0) depth = 1.0;
      return AllocatingList(depth, size(0));
    }
    case CallCost::kSelfCompare: return args.empty() ? 1 : SelfCompare(args[0]);
    case CallCost::kSelfCompareKeys: return args.size() < 2 ? 1 : SelfCompare(args[1]);
    case CallCost::kSets: return Add(1, Mul(size(0), size(1)));
    case CallCost::kSetsEquivalent: return Add(1, Saturate(static_cast<double>(Mul(size(0), size(1))) * 2));
  }
  return 1;
}

}  // namespace clausegate::cel
