#include "cel/checker/cost_estimate.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "cel/syntax/parser.h"
#include "common/utf8.h"

namespace clausegate::cel::checker {
namespace {

constexpr uint64_t kMax = UINT64_MAX;
constexpr double kStringFactor = 0.1;   // per character traversed
constexpr double kRegexFactor = 0.25;   // per character of a pattern
constexpr uint64_t kListCreate = 10;
constexpr uint64_t kMapCreate = 30;
constexpr uint64_t kStructCreate = 40;
constexpr uint64_t kMaxFormatSize = 64;           // a named format's name
constexpr uint64_t kMaxNameFormatRegexSize = 128;  // the longest of their patterns

uint64_t AddSat(uint64_t x, uint64_t y) { return y > 0 && x > kMax - y ? kMax : x + y; }
uint64_t MulSat(uint64_t x, uint64_t y) { return y != 0 && x > kMax / y ? kMax : x * y; }
// cel-go's multiplyByCostFactor: the product rounded up, saturating.
uint64_t Factor(uint64_t x, double y) {
  double xf = static_cast<double>(x);
  if (xf > 0 && y > 0 && xf > static_cast<double>(kMax) / y) return kMax;
  double c = std::ceil(xf * y);
  if (c >= 18446744073709551616.0) return kMax;
  return static_cast<uint64_t>(c);
}

// A size or a cost: cel-go's SizeEstimate and CostEstimate share these rules.
struct Est {
  uint64_t min = 0, max = 0;
  Est Add(Est o) const { return {AddSat(min, o.min), AddSat(max, o.max)}; }
  Est Mul(Est o) const { return {MulSat(min, o.min), MulSat(max, o.max)}; }
  Est By(double f) const { return {Factor(min, f), Factor(max, f)}; }
  Est Union(Est o) const { return {std::min(min, o.min), std::max(max, o.max)}; }
};
Est Fixed(uint64_t v) { return {v, v}; }
constexpr Est kUnknown{0, kMax};
constexpr Est kOne{1, 1};

using Path = std::vector<std::string>;

// The sizes of a list's or map's entries, where the expression fixes them.
struct Entry {
  bool is_map = false;
  Est key, val;
};
std::optional<Entry> UnionEntry(const std::optional<Entry>& a, const std::optional<Entry>& b) {
  if (!a || !b) return std::nullopt;
  return Entry{a->is_map, a->key.Union(b->key), a->val.Union(b->val)};
}

struct Local {
  std::string name;
  Path path;
  std::optional<Est> size;
  std::optional<Entry> entry;
};

// A sub-expression as the function estimators see it (cel-go's AstNode).
struct Node {
  const Expr* expr = nullptr;  // null for a list's element
  Path path;
  Type type;
  std::optional<Est> computed;
};

struct CallEst {
  Est cost;
  std::optional<Est> size;
};

// The overloads whose cost rules differ from the default (cel-go names them by id).
enum class Ovl : uint8_t {
  kOther,
  kIndexList, kIndexMap,
  kAddString, kAddBytes, kAddList,
  kCompareText, kEquals, kNotEquals,
  kInList, kMatchesGlobal, kMatchesMember, kContainsString, kStartsEnds,
  kStringToBytes, kBytesToString, kQuote, kFormat, kCond,
  kListSlice, kFlatten, kRange, kListReverse, kDistinct, kSort, kSortBy, kSets1, kSets2,
  kCidrIp, kContainsIpString, kContainsCidrString,
};

bool KindIs(const Type& t, TypeKind k) { return t.kind == k; }
bool IsText(const Type& t) { return t.kind == TypeKind::kString || t.kind == TypeKind::kBytes; }

Ovl Classify(std::string_view fn, const OverloadDecl& d) {
  const auto& a = d.args;
  auto arg = [&](size_t i) -> const Type* { return i < a.size() ? &a[i] : nullptr; };
  auto arg_is = [&](size_t i, TypeKind k) { return arg(i) && KindIs(*arg(i), k); };
  if (fn == op::kIndex) return arg_is(0, TypeKind::kList) ? Ovl::kIndexList : arg_is(0, TypeKind::kMap) ? Ovl::kIndexMap : Ovl::kOther;
  if (fn == op::kAdd) {
    if (arg_is(0, TypeKind::kString)) return Ovl::kAddString;
    if (arg_is(0, TypeKind::kBytes)) return Ovl::kAddBytes;
    if (arg_is(0, TypeKind::kList)) return Ovl::kAddList;
    return Ovl::kOther;
  }
  if (fn == "_<_" || fn == "_<=_" || fn == "_>_" || fn == "_>=_") return arg(0) && IsText(*arg(0)) ? Ovl::kCompareText : Ovl::kOther;
  if (fn == "_==_") return Ovl::kEquals;
  if (fn == "_!=_") return Ovl::kNotEquals;
  if (fn == "@in") return arg_is(1, TypeKind::kList) ? Ovl::kInList : Ovl::kOther;
  if (fn == "matches") return d.member ? Ovl::kMatchesMember : Ovl::kMatchesGlobal;
  if (fn == "contains" && d.member && arg_is(0, TypeKind::kString) && arg_is(1, TypeKind::kString)) return Ovl::kContainsString;
  if ((fn == "startsWith" || fn == "endsWith") && d.member) return Ovl::kStartsEnds;
  if (fn == "bytes" && !d.member && arg_is(0, TypeKind::kString)) return Ovl::kStringToBytes;
  if (fn == "string" && !d.member && arg_is(0, TypeKind::kBytes)) return Ovl::kBytesToString;
  if (fn == "strings.quote") return Ovl::kQuote;
  if (fn == "format" && d.member && arg_is(0, TypeKind::kString)) return Ovl::kFormat;
  if (fn == op::kCond) return Ovl::kCond;
  if (fn == "slice" && d.member) return Ovl::kListSlice;
  if (fn == "flatten" && d.member) return Ovl::kFlatten;
  if (fn == "lists.range") return Ovl::kRange;
  if (fn == "reverse" && d.member && arg_is(0, TypeKind::kList)) return Ovl::kListReverse;
  if (fn == "distinct" && d.member) return Ovl::kDistinct;
  if (fn == "sort" && d.member && arg_is(0, TypeKind::kList)) return Ovl::kSort;
  if (fn == "@sortByAssociatedKeys") return Ovl::kSortBy;
  if (fn == "sets.contains" || fn == "sets.intersects") return Ovl::kSets1;
  if (fn == "sets.equivalent") return Ovl::kSets2;
  if (fn == "ip" && d.member && arg(0) && arg(0)->name == "net.CIDR") return Ovl::kCidrIp;
  if (fn == "containsIP" && arg_is(1, TypeKind::kString)) return Ovl::kContainsIpString;
  if (fn == "containsCIDR" && arg_is(1, TypeKind::kString)) return Ovl::kContainsCidrString;
  return Ovl::kOther;
}

bool SameType(const Type& a, const Type& b) {
  if (a.kind != b.kind || a.name != b.name || a.params.size() != b.params.size()) return false;
  for (size_t i = 0; i < a.params.size(); ++i) {
    if (!SameType(a.params[i], b.params[i])) return false;
  }
  return true;
}

bool IsScalar(const Type& t) {
  switch (t.kind) {
    case TypeKind::kBool:
    case TypeKind::kDouble:
    case TypeKind::kDuration:
    case TypeKind::kInt:
    case TypeKind::kTimestamp:
    case TypeKind::kUint: return true;
    default: return t.is_optional() && IsScalar(t.params[0]);
  }
}

// A list's element type (cel-go: the type's first parameter, whatever the type).
std::optional<Type> FirstParam(const Type& t) {
  if (t.params.empty()) return std::nullopt;
  return t.params[0];
}

// An int literal as an unsigned bound (negative: 0), or `fallback`.
uint64_t UintLiteral(const Node& n, uint64_t fallback) {
  if (!n.expr || n.expr->kind != ExprKind::kConst || n.expr->constant.kind() != Kind::kInt) return fallback;
  int64_t v = n.expr->constant.int_value();
  return v < 0 ? 0 : static_cast<uint64_t>(v);
}

CallEst Allocating(double factor, Est size) {
  return {size.By(factor).Add(kOne).Add(Fixed(kListCreate)), size};
}

class Estimator {
 public:
  Estimator(const CheckResult& checked, const EstimateOptions& options) : checked_(checked), options_(options) {}

  Est Cost(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConst: return {};
      case ExprKind::kIdent:
        if (const Local* v = Peek(e.name)) {
          paths_[&e] = v->path;
        } else {
          paths_[&e] = Path{e.name};
        }
        return kOne;
      case ExprKind::kSelect: return CostSelect(e);
      case ExprKind::kCall: return CostCall(e);
      case ExprKind::kList: return CostList(e);
      case ExprKind::kMap: return CostMap(e);
      case ExprKind::kComprehension: return CostComprehension(e);
    }
    return {};
  }

 private:
  const Type& TypeOf(const Expr& e) const {
    auto it = checked_.types.find(&e);
    return it == checked_.types.end() ? dyn_ : it->second;
  }

  const Local* Peek(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == name) return &*it;
    }
    return nullptr;
  }

  // Kubernetes' size estimator: what comes from a variable is at most the request.
  std::optional<Est> EstimateSize(const Path& p) const {
    if (p.empty()) return std::nullopt;
    return Est{0, options_.variable_size};
  }

  Path GetPath(const Expr& e) const {
    if (e.kind == ExprKind::kIdent) {
      if (const Local* v = Peek(e.name)) return v->path;
    }
    auto it = paths_.find(&e);
    return it == paths_.end() ? Path{} : it->second;
  }

  static std::optional<Est> LiteralSize(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConst:
        switch (e.constant.kind()) {
          case Kind::kString: return Fixed(utf8::Length(e.constant.string_value()));
          case Kind::kBytes: return Fixed(e.constant.string_value().size());
          case Kind::kNull:
          case Kind::kBool:
          case Kind::kInt:
          case Kind::kUint:
          case Kind::kDouble: return kOne;
          default: return std::nullopt;
        }
      case ExprKind::kList: return Fixed(e.args.size());
      case ExprKind::kMap: return Fixed(e.entries.size());
      default: return std::nullopt;
    }
  }

  // cel-go's computeSize: what the expression fixes, then the size estimator, then
  // the type (scalars are 1), then a local's own size.
  std::optional<Est> ComputeSize(const Expr& e) {
    if (auto it = sizes_.find(&e); it != sizes_.end()) return it->second;
    if (auto s = LiteralSize(e)) return s;
    if (auto s = EstimateSize(GetPath(e))) {
      sizes_[&e] = *s;
      return s;
    }
    if (IsScalar(TypeOf(e))) return kOne;
    if (e.kind == ExprKind::kIdent) {
      if (const Local* v = Peek(e.name); v && v->size) return v->size;
    }
    return std::nullopt;
  }
  Est SizeOrUnknown(const Expr& e) { return ComputeSize(e).value_or(kUnknown); }

  std::optional<Entry> EntryOf(const Expr& e) const {
    if (auto it = entries_.find(&e); it != entries_.end()) return it->second;
    if (e.kind == ExprKind::kIdent) {
      if (const Local* v = Peek(e.name); v && v->entry) return v->entry;
    }
    return std::nullopt;
  }

  Node NewNode(const Expr& e) { return Node{&e, GetPath(e), TypeOf(e), ComputeSize(e)}; }

  // The size as cel-go's own rules read it (what the expression fixes), and as the
  // Kubernetes and extension estimators read it (the size estimator besides).
  static Est Computed(const Node& n) { return n.computed.value_or(kUnknown); }
  Est SizeOf(const Node& n) const {
    if (n.computed) return *n.computed;
    return EstimateSize(n.path).value_or(kUnknown);
  }
  std::optional<Node> ElementNode(const Node& list) const {
    std::optional<Type> t = FirstParam(list.type);
    if (!t) return std::nullopt;
    Node n;
    n.type = *t;
    if (!list.path.empty()) {
      n.path = list.path;
      n.path.push_back("@items");
    }
    return n;
  }

  Est CostSelect(const Expr& e) {
    if (checked_.qualified_variables.count(&e)) {
      // `variables.x`: a field of the declared namespace, as Kubernetes declares it (an object).
      Path p;
      for (const Expr* s = &e; s; s = s->target.get()) p.insert(p.begin(), s->name);
      paths_[&e] = p;
      return Fixed(p.size());
    }
    const Expr& operand = *e.target;
    if (e.test_only) return Cost(operand);  // has(): free in Kubernetes, its operand is not
    if (e.optional_select) return kOne.Add(Cost(operand));  // the call _?._(operand, 'field')
    Est sum = Cost(operand);
    switch (TypeOf(operand).kind) {
      case TypeKind::kMap:
      case TypeKind::kObject:
      case TypeKind::kParam: sum = sum.Add(kOne); break;
      default: break;
    }
    Path p = GetPath(operand);
    p.push_back(e.name);
    paths_[&e] = std::move(p);
    return sum;
  }

  Est CostList(const Expr& e) {
    Est sum;
    Est item{kMax, 0};
    if (e.args.empty()) item.min = 0;
    for (const auto& a : e.args) {
      sum = sum.Add(Cost(*a));
      item = item.Union(SizeOrUnknown(*a));
    }
    entries_[&e] = Entry{false, kOne, item};
    return sum.Add(Fixed(kListCreate));
  }

  Est CostMap(const Expr& e) {
    Est sum;
    Est key{kMax, 0}, val{kMax, 0};
    if (e.entries.empty()) key.min = val.min = 0;
    for (const MapEntry& m : e.entries) {
      sum = sum.Add(Cost(*m.key));
      sum = sum.Add(Cost(*m.value));
      key = key.Union(SizeOrUnknown(*m.key));
      val = val.Union(SizeOrUnknown(*m.value));
    }
    entries_[&e] = Entry{true, key, val};
    return sum.Add(Fixed(kMapCreate));
  }

  Est CostCall(const Expr& e) {
    std::string_view fn = e.name;
    const Expr* target = e.target.get();
    if (auto it = checked_.global_calls.find(&e); it != checked_.global_calls.end()) {
      fn = it->second;
      target = nullptr;
    }
    if (fn == "dyn" && !target && e.args.size() == 1) {
      // dyn() only turns the checker off: the argument's cost, sizes and one.
      Est c = Cost(*e.args[0]);
      if (auto s = ComputeSize(*e.args[0])) sizes_[&e] = *s;
      if (auto en = EntryOf(*e.args[0])) entries_[&e] = *en;
      return kOne.Add(c);
    }
    std::vector<Est> arg_costs;
    std::vector<Node> args;
    for (const auto& a : e.args) {
      arg_costs.push_back(Cost(*a));
      args.push_back(NewNode(*a));
    }
    if ((fn == op::kAnd || fn == op::kOr) && arg_costs.size() == 2) {
      // The right side may not run.
      return Est{arg_costs[0].min, arg_costs[0].Add(arg_costs[1]).max};
    }
    auto cands = checked_.candidates.find(&e);
    if (cands == checked_.candidates.end() || cands->second.empty()) return {};
    Est sum;
    std::optional<Node> tnode;
    if (target) {
      sum = sum.Add(Cost(*target));
      tnode = NewNode(*target);
    }
    return sum.Add(Resolve(e, fn, cands->second, tnode, args, arg_costs));
  }

  // The union of the costs of every overload the call may take (cel-go: the
  // overloads the checker kept), recording the call's result size.
  Est Resolve(const Expr& e, std::string_view fn, const std::vector<const OverloadDecl*>& cands,
              const std::optional<Node>& target, const std::vector<Node>& args, const std::vector<Est>& arg_costs) {
    Est cost{kMax, 0};
    std::optional<Est> result;
    for (const OverloadDecl* d : cands) {
      Ovl kind = Classify(fn, *d);
      CallEst c = FunctionCost(e, fn, *d, kind, target, args, arg_costs);
      cost = cost.Union(c.cost);
      if (c.size) result = result ? result->Union(*c.size) : *c.size;
      if ((kind == Ovl::kIndexList || kind == Ovl::kIndexMap) && !args.empty()) {
        std::optional<Entry> en = EntryOf(*args[0].expr);
        result = en ? std::optional<Est>(en->val) : std::nullopt;
        Path p = GetPath(*args[0].expr);
        p.push_back(kind == Ovl::kIndexList ? "@items" : "@values");
        paths_[&e] = std::move(p);
      }
      if (!result) result = ComputeSize(e);
    }
    if (result) sizes_[&e] = *result;
    return cost;
  }

  CallEst FunctionCost(const Expr& e, std::string_view fn, const OverloadDecl& d, Ovl kind,
                       const std::optional<Node>& target, const std::vector<Node>& args,
                       const std::vector<Est>& arg_costs) {
    Est arg_sum;
    for (const Est& c : arg_costs) arg_sum = arg_sum.Add(c);
    if (auto c = ExtensionCost(d, kind, target, args)) return {c->cost.Add(arg_sum), c->size};
    if (auto c = KubernetesCost(fn, kind, target, args)) return {c->cost.Add(arg_sum), c->size};
    return CelCost(e, kind, target, args, arg_costs, arg_sum);
  }

  // The lists and sets extensions' estimators.
  std::optional<CallEst> ExtensionCost(const OverloadDecl& d, Ovl kind, const std::optional<Node>& target,
                                       const std::vector<Node>& args) const {
    auto text_factor = [](const Type* elem) { return elem && IsText(*elem) ? 2.0 + kStringFactor : 2.0; };
    auto elem_of = [&](size_t i) -> const Type* {
      return i < d.args.size() && !d.args[i].params.empty() ? &d.args[i].params[0] : nullptr;
    };
    switch (kind) {
      case Ovl::kListSlice: {
        if (!target || args.size() != 2) return std::nullopt;
        Est sz = SizeOf(*target);
        uint64_t start = UintLiteral(args[0], 0), end = UintLiteral(args[1], sz.max);
        return Allocating(1, Fixed(end - start));  // wraps as cel-go's does when start > end
      }
      case Ovl::kRange:
        if (target || args.size() != 1) return std::nullopt;
        return Allocating(1, Fixed(UintLiteral(args[0], kMax)));
      case Ovl::kListReverse:
        if (!target || !args.empty()) return std::nullopt;
        return Allocating(1, SizeOf(*target));
      case Ovl::kFlatten: {
        if (!target || args.size() > 1) return std::nullopt;
        uint64_t depth = args.size() == 1 ? UintLiteral(args[0], kMax) : 1;
        return Allocating(static_cast<double>(depth), SizeOf(*target));
      }
      case Ovl::kDistinct: {
        if (!target || !args.empty()) return std::nullopt;
        Est sz = SizeOf(*target);
        return Allocating(2, sz.Mul(sz));
      }
      case Ovl::kSort: {
        if (!target || !args.empty()) return std::nullopt;
        Est sz = SizeOf(*target);
        return Allocating(text_factor(elem_of(0)), sz.Mul(sz));
      }
      case Ovl::kSortBy: {
        if (!target || args.size() != 1) return std::nullopt;
        Est sz = SizeOf(args[0]);
        return Allocating(text_factor(elem_of(1)), sz.Mul(sz));
      }
      case Ovl::kSets1:
      case Ovl::kSets2: {
        if (args.size() != 2) return std::nullopt;
        Est c = SizeOf(args[0]).Mul(SizeOf(args[1])).By(kind == Ovl::kSets2 ? 2 : 1).Add(kOne);
        return CallEst{c, std::nullopt};
      }
      default: return std::nullopt;
    }
  }

  // Kubernetes' CostEstimator.EstimateCallCost, keyed by function name.
  std::optional<CallEst> KubernetesCost(std::string_view fn, Ovl kind, const std::optional<Node>& target,
                                        const std::vector<Node>& args) const {
    auto is = [&](std::initializer_list<std::string_view> names) {
      return std::find(names.begin(), names.end(), fn) != names.end();
    };
    auto fixed = [](uint64_t c) { return CallEst{Fixed(c), std::nullopt}; };
    auto cost_only = [](Est c) { return CallEst{c, std::nullopt}; };
    if (fn == "check") return fixed(350000);
    if (is({"serviceAccount", "path", "group", "resource", "subresource", "namespace", "name", "allowed", "reason",
            "error", "errored"})) {
      return fixed(1);
    }
    if (is({"fieldSelector", "labelSelector"})) {
      if (args.size() != 1) return std::nullopt;
      Est len = SizeOf(args[0]);
      Est requirements = len.By(0.5).By(static_cast<double>(kListCreate + kStructCreate));
      return cost_only(Fixed(kListCreate).Add(len.By(kStringFactor)).Add(requirements));
    }
    if (is({"isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes"})) {
      if (!target) return std::nullopt;
      Est element = kOne;
      if (std::optional<Node> el = ElementNode(*target)) {
        if (IsText(el->type)) element = element.Add(SizeOf(*el).By(kStringFactor));
        return cost_only(SizeOf(*target).Mul(element));
      }
      if (fn == "includes") return cost_only(SizeOf(*target).Mul(element));
      return cost_only(SizeOf(*target).By(kStringFactor));
    }
    if (is({"url", "jsonpatch.escapeKey"})) {
      if (args.size() != 1) return std::nullopt;
      Est sz = SizeOf(args[0]);
      return CallEst{sz.By(kStringFactor), sz};
    }
    if (is({"lowerAscii", "upperAscii", "substring", "trim"})) {
      if (!target) return std::nullopt;
      Est sz = SizeOf(*target);
      return CallEst{sz.By(kStringFactor), sz};
    }
    if (fn == "replace") return target && args.size() >= 2 ? std::optional<CallEst>(ReplaceCost(*target, args)) : std::nullopt;
    if (fn == "split") {
      if (!target) return std::nullopt;
      Est sz = SizeOf(*target);
      uint64_t max = sz.max;
      if (args.size() > 1 && args[1].expr && args[1].expr->kind == ExprKind::kConst &&
          args[1].expr->constant.kind() == Kind::kInt) {
        max = static_cast<uint64_t>(args[1].expr->constant.int_value());
      }
      return CallEst{sz.By(2 * kStringFactor), Est{0, max}};
    }
    if (fn == "join") {
      if (!target) return std::nullopt;
      Est sz;
      Est list = SizeOf(*target);
      if (std::optional<Node> el = ElementNode(*target)) sz = list.Mul(SizeOf(*el));
      if (!args.empty()) {
        Est separators{list.min > 0 ? list.min - 1 : 0, list.max > 0 ? list.max - 1 : 0};
        sz = sz.Add(SizeOf(args[0]).Mul(separators));
      }
      return CallEst{sz.By(kStringFactor), sz};
    }
    if (is({"find", "findAll"})) {
      if (!target || args.empty()) return std::nullopt;
      Est sz = SizeOf(*target);
      Est text = sz.Add(kOne).By(kStringFactor);
      Est pattern = SizeOf(args[0]).By(kRegexFactor);
      return CallEst{text.Mul(pattern), Est{0, sz.max}};
    }
    if (is({"cidr", "isIP", "isCIDR"})) {
      if (args.empty()) return std::nullopt;
      return cost_only(SizeOf(args[0]).By(kStringFactor));
    }
    if (fn == "ip") {
      if (kind == Ovl::kCidrIp) return fixed(1);
      if (args.empty()) return std::nullopt;
      return cost_only(SizeOf(args[0]).By(kStringFactor));
    }
    if (fn == "ip.isCanonical") {
      if (args.empty()) return std::nullopt;
      return cost_only(SizeOf(args[0]).By(2 * kStringFactor));
    }
    if (is({"masked", "prefixLength", "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast",
            "isLinkLocalUnicast", "isGlobalUnicast"})) {
      return fixed(1);
    }
    if (fn == "containsIP" || fn == "containsCIDR") {
      if (args.empty()) return std::nullopt;
      // Two addresses of 4 or 16 bytes compared; a CIDR also masked; a string parsed first.
      Est bytes{4, 16};
      Est c = bytes.Add(bytes).By(kStringFactor);
      if (fn == "containsCIDR") c = c.Add(bytes.By(kStringFactor)).Add(kOne);
      if (kind == Ovl::kContainsIpString || kind == Ovl::kContainsCidrString) c = c.Add(SizeOf(args[0]).By(kStringFactor));
      return cost_only(c);
    }
    if (is({"quantity", "isQuantity", "semver", "isSemver"})) {
      if (args.empty()) return std::nullopt;
      return cost_only(SizeOf(args[0]).By(kStringFactor));
    }
    if (fn == "validate") {
      if (args.empty()) return std::nullopt;
      return cost_only(SizeOf(args[0]).By(kStringFactor).By(static_cast<double>(kMaxNameFormatRegexSize) * kRegexFactor));
    }
    if (fn == "format.named") return fixed(1);
    if (is({"sign", "asInteger", "isInteger", "asApproximateFloat", "isGreaterThan", "isLessThan", "compareTo", "add",
            "sub", "major", "minor", "patch", "getScheme", "getHostname", "getHost", "getPort", "getEscapedPath",
            "getQuery"})) {
      return fixed(1);
    }
    if (fn == "_==_" && args.size() == 2 && SameType(args[0].type, args[1].type)) {
      const Type& t = args[0].type;
      static constexpr std::string_view kUnitEquality[] = {
          "net.IP", "net.CIDR", "kubernetes.Quantity", "kubernetes.Semver", "kubernetes.authorization.Authorizer",
          "kubernetes.authorization.PathCheck", "kubernetes.authorization.GroupCheck",
          "kubernetes.authorization.ResourceCheck", "kubernetes.authorization.Decision"};
      if (std::find(std::begin(kUnitEquality), std::end(kUnitEquality), t.name) != std::end(kUnitEquality)) return fixed(1);
      if (t.name == "kubernetes.NamedFormat") return cost_only(Est{1, kMaxFormatSize}.By(kStringFactor));
      if (t.name == "kubernetes.URL") {
        // Kubernetes reads the right side's size twice (sic).
        Est size = args[1].computed.value_or(kOne);
        return cost_only(Est{1, size.max}.By(kStringFactor));
      }
    }
    return std::nullopt;
  }

  CallEst ReplaceCost(const Node& target, const std::vector<Node>& args) const {
    Est sz = SizeOf(target), from = SizeOf(args[0]), to = SizeOf(args[1]);
    Est count, retained;
    // One end of the result's size: replacing "" surrounds every character; a
    // replacement no longer than the text replaced keeps the text's length;
    // otherwise as many replacements as the text holds.
    auto end = [](uint64_t text, uint64_t replaced, bool keeps_length, uint64_t* n, uint64_t* kept) {
      if (replaced == 0) {
        *n = text < kMax ? text + 1 : text;
        *kept = text;
      } else if (keeps_length) {
        *n = 0;
        *kept = text;
      } else {
        *n = static_cast<uint64_t>(std::ceil(static_cast<double>(text) / static_cast<double>(replaced)));
      }
    };
    end(sz.max, from.min, to.max <= from.min, &count.max, &retained.max);
    end(sz.min, from.max, from.max <= to.min, &count.min, &retained.min);
    return CallEst{sz.By(2 * kStringFactor), count.Mul(to).Add(retained)};
  }

  // cel-go's own rules, by overload; one unit for the rest.
  CallEst CelCost(const Expr& e, Ovl kind, const std::optional<Node>& target, const std::vector<Node>& args,
                  const std::vector<Est>& arg_costs, Est arg_sum) {
    auto text_traversal = [&](Est sz) { return CallEst{sz.By(kStringFactor).Add(arg_sum), std::nullopt}; };
    switch (kind) {
      case Ovl::kFormat:
        if (target) return text_traversal(Computed(*target));
        break;
      case Ovl::kStringToBytes:
        if (args.size() == 1) {
          Est sz = Computed(args[0]);
          return CallEst{sz.By(kStringFactor).Add(arg_sum), Est{sz.min, sz.max * 4}};
        }
        break;
      case Ovl::kBytesToString:
        if (args.size() == 1) {
          Est sz = Computed(args[0]);
          return CallEst{sz.By(kStringFactor).Add(arg_sum), Est{sz.min / 4, sz.max}};
        }
        break;
      case Ovl::kQuote:
        if (args.size() == 1) {
          Est sz = Computed(args[0]);
          return CallEst{sz.By(kStringFactor).Add(arg_sum), Est{sz.min + 2, sz.max * 2 + 2}};
        }
        break;
      case Ovl::kStartsEnds:
        if (args.size() == 1) return text_traversal(Computed(args[0]));
        break;
      case Ovl::kInList:
        if (args.size() == 2) return CallEst{Computed(args[1]).By(1).Add(arg_sum), std::nullopt};
        break;
      case Ovl::kMatchesGlobal:
      case Ovl::kMatchesMember: {
        const Node* text = nullptr;
        const Node* pattern = nullptr;
        if (kind == Ovl::kMatchesMember && target && args.size() == 1) {
          text = &*target;
          pattern = &args[0];
        } else if (kind == Ovl::kMatchesGlobal && !target && args.size() == 2) {
          text = &args[0];
          pattern = &args[1];
        }
        if (text) {
          Est t = Computed(*text).Add(kOne).By(kStringFactor);
          Est p = Computed(*pattern).By(kRegexFactor);
          return CallEst{t.Mul(p).Add(arg_sum), std::nullopt};
        }
        break;
      }
      case Ovl::kContainsString:
        if (target && args.size() == 1) {
          Est c = Computed(*target).By(kStringFactor).Mul(Computed(args[0]).By(kStringFactor));
          return CallEst{c.Add(arg_sum), std::nullopt};
        }
        break;
      case Ovl::kCond:
        if (args.size() == 3) {
          Est size = Computed(args[1]).Union(Computed(args[2]));
          if (auto en = UnionEntry(EntryOf(*args[1].expr), EntryOf(*args[2].expr))) entries_[&e] = *en;
          return CallEst{arg_costs[0].Add(arg_costs[1].Union(arg_costs[2])), size};
        }
        break;
      case Ovl::kAddString:
      case Ovl::kAddBytes:
      case Ovl::kAddList:
        if (args.size() == 2) {
          Est size = Computed(args[0]).Add(Computed(args[1]));
          if (auto en = UnionEntry(EntryOf(*args[0].expr), EntryOf(*args[1].expr))) entries_[&e] = *en;
          if (kind == Ovl::kAddList) return CallEst{kOne.Add(arg_sum), size};  // concatenation is O(1)
          return CallEst{size.By(kStringFactor).Add(arg_sum), size};
        }
        break;
      case Ovl::kCompareText:
      case Ovl::kEquals:
      case Ovl::kNotEquals:
        if (args.size() == 2) {
          uint64_t smallest = std::min(Computed(args[0]).max, Computed(args[1]).max);
          return CallEst{Est{smallest > 0 ? 1u : 0u, smallest}.By(kStringFactor).Add(arg_sum), std::nullopt};
        }
        break;
      default: break;
    }
    return CallEst{kOne.Add(arg_sum), std::nullopt};
  }

  // --- comprehensions, as the macros expand in cel-go ---------------------------

  // What an iteration variable over `range` reads: its entries' sizes where the
  // expression fixes them, and a path below the range's.
  void PushIter(const std::string& name, const Expr& range, bool key, bool single) {
    std::optional<Entry> en = EntryOf(range);
    bool is_list = en ? !en->is_map : TypeOf(range).kind == TypeKind::kList;
    Local v;
    v.name = name;
    v.path = GetPath(range);
    if (single) key = !is_list;
    if (key) {
      if (en) v.size = en->key;
      v.path.push_back(is_list ? "@indices" : "@keys");
    } else {
      if (en) v.size = en->val;
      v.path.push_back(is_list ? "@items" : "@values");
    }
    locals_.push_back(std::move(v));
  }

  void PushLocal(const std::string& name, const Expr& init) {
    locals_.push_back(Local{name, GetPath(init), ComputeSize(init), EntryOf(init)});
  }

  // A synthetic sub-expression of a macro's expansion.
  struct Part {
    Est cost;
    std::optional<Est> size;
    std::optional<Entry> entry;
  };

  static Part Conditional(Est pred, const Part& a, const Part& b) {
    return Part{pred.Add(a.cost.Union(b.cost)), a.size.value_or(kUnknown).Union(b.size.value_or(kUnknown)),
                UnionEntry(a.entry, b.entry)};
  }

  // accu + [item]: the list the map, filter and transformList macros build.
  static Part Append(const Part& accu, Est item_cost, std::optional<Est> item_size) {
    Part list{item_cost.Add(Fixed(kListCreate)), kOne, Entry{false, kOne, item_size.value_or(kUnknown)}};
    return Part{kOne.Add(accu.cost).Add(list.cost), accu.size.value_or(kUnknown).Add(*list.size),
                UnionEntry(accu.entry, list.entry)};
  }

  Est CostComprehension(const Expr& e) {
    switch (e.macro) {
      case MacroKind::kBind: {
        // cel.bind(x, init, body): an empty range (a list: 10), the init, the body.
        Est sum = Fixed(kListCreate).Add(Cost(*e.args[0]));
        PushLocal(e.var1, *e.args[0]);
        sum = sum.Add(Cost(*e.args[1]));
        locals_.pop_back();
        CopySizes(e, *e.args[1]);
        return sum;
      }
      case MacroKind::kOptMap:
      case MacroKind::kOptFlatMap: return CostOptMap(e);
      case MacroKind::kSortBy: return CostSortBy(e);
      default: break;
    }
    const Expr& range = *e.args[0];
    Est sum = Cost(range);
    const bool two = !e.var2.empty();
    const size_t bodies = e.args.size() - 1;
    // The accumulator: its initial value, and the identifier the expansion reads.
    const bool builds_list = e.macro == MacroKind::kMap || e.macro == MacroKind::kFilter ||
                             e.macro == MacroKind::kTransformList;
    const bool builds_map = e.macro == MacroKind::kTransformMap;
    Part accu{kOne, kOne, std::nullopt};
    if (builds_list) {
      sum = sum.Add(Fixed(kListCreate));
      accu = Part{kOne, Est{}, Entry{false, kOne, Est{}}};
    } else if (builds_map) {
      sum = sum.Add(Fixed(kMapCreate));
      accu = Part{kOne, Est{}, Entry{true, Est{}, Est{}}};
    }
    size_t mark = locals_.size();
    if (two) {
      PushIter(e.var1, range, true, false);
      PushIter(e.var2, range, false, false);
    } else {
      PushIter(e.var1, range, false, true);
    }
    auto body = [&](size_t i) { return Cost(*e.args[1 + i]); };
    Est loop;  // the loop condition
    Part step;
    Est result = kOne;  // the accumulator read at the end
    switch (e.macro) {
      case MacroKind::kAll:
        loop = Fixed(2);  // @not_strictly_false(accu)
        step.cost = [&] { Est p = body(0); return Est{1, AddSat(1, p.max)}; }();
        break;
      case MacroKind::kExists:
        loop = Fixed(3);  // @not_strictly_false(!accu)
        step.cost = [&] { Est p = body(0); return Est{1, AddSat(1, p.max)}; }();
        break;
      case MacroKind::kExistsOne:
        step = Conditional(body(0), Part{Fixed(2), kOne, std::nullopt}, accu);  // p ? accu + 1 : accu
        result = Fixed(2);                                                      // accu == 1
        break;
      case MacroKind::kMap:
      case MacroKind::kTransformList:
      case MacroKind::kFilter: {
        const bool filtered = e.macro == MacroKind::kFilter || bodies == 2;
        Est pred = filtered ? body(0) : Est{};
        Part add;
        if (e.macro == MacroKind::kFilter) {
          const Local* x = Peek(e.var1);
          std::optional<Est> xs = EstimateSize(x->path);
          if (!xs) xs = x->size;
          add = Append(accu, kOne, xs);
        } else {
          const Expr& t = *e.args[bodies];
          Est tc = Cost(t);
          add = Append(accu, tc, ComputeSize(t));
        }
        step = filtered ? Conditional(pred, add, accu) : add;
        break;
      }
      case MacroKind::kTransformMap: {
        Est pred = bodies == 2 ? body(0) : Est{};
        const Expr& t = *e.args[bodies];
        Est tc = Cost(t);
        // cel.@mapInsert(accu, k, t), or (accu, t) for transformMapEntry: a unit.
        Part insert{kOne.Add(kOne).Add(tc), std::nullopt, std::nullopt};
        if (e.name != "transformMapEntry") insert.cost = insert.cost.Add(kOne);
        step = bodies == 2 ? Conditional(pred, insert, accu) : insert;
        break;
      }
      default: break;
    }
    locals_.resize(mark);
    sum = sum.Add(result);
    Est count = SizeOrUnknown(range);
    sum = sum.Add(count.Mul(step.cost.Add(loop)));
    if (builds_list || builds_map) {
      sizes_[&e] = count;
      if (step.entry) entries_[&e] = *step.entry;
    } else {
      sizes_[&e] = kOne;
    }
    return sum;
  }

  void CopySizes(const Expr& to, const Expr& from) {
    if (auto s = ComputeSize(from)) sizes_[&to] = *s;
    if (auto en = EntryOf(from)) entries_[&to] = *en;
  }

  // o.optMap(x, t): o.hasValue() ? optional.of(cel.bind(x, o.value(), t)) : optional.none();
  // optFlatMap without optional.of.
  Est CostOptMap(const Expr& e) {
    const Expr& o = *e.args[0];
    const Expr& t = *e.args[1];
    Est has = Cost(o).Add(kOne);
    Est value = Cost(o).Add(kOne);
    const Type& ot = TypeOf(o);
    Type inner = ot.is_optional() ? ot.params[0] : Type::Dyn();
    Local x{e.var1, {}, IsScalar(inner) ? std::optional<Est>(kOne) : std::nullopt, std::nullopt};
    locals_.push_back(x);
    Est tc = Cost(t);
    locals_.pop_back();
    Part bound{Fixed(kListCreate).Add(value).Add(tc), ComputeSize(t), EntryOf(t)};
    Part some = bound;
    if (e.macro == MacroKind::kOptMap) {
      const Type& rt = TypeOf(e);
      some = Part{kOne.Add(bound.cost), IsScalar(rt) ? std::optional<Est>(kOne) : std::nullopt, std::nullopt};
    }
    // optional.none() takes the other branch's type.
    Part none{kOne, IsScalar(TypeOf(e)) ? std::optional<Est>(kOne) : std::nullopt, std::nullopt};
    Part r = Conditional(has, some, none);
    sizes_[&e] = *r.size;
    if (r.entry) entries_[&e] = *r.entry;
    return r.cost;
  }

  // l.sortBy(x, key): cel.bind(@in, l, @in.@sortByAssociatedKeys(@in.map(x, key))).
  Est CostSortBy(const Expr& e) {
    const Expr& list = *e.args[0];
    const Expr& key = *e.args[1];
    Est sum = Fixed(kListCreate).Add(Cost(list));
    Local in{"@__sortBy_input__", GetPath(list), ComputeSize(list), EntryOf(list)};
    // The identifier's size: the size estimator on the list's path, else the list's own.
    std::optional<Est> in_size = EstimateSize(in.path);
    if (!in_size) in_size = IsScalar(TypeOf(list)) ? std::optional<Est>(kOne) : in.size;
    std::optional<Entry> in_entry = in.entry;
    bool is_list = in_entry ? !in_entry->is_map : TypeOf(list).kind == TypeKind::kList;
    locals_.push_back(in);
    // The map over the identifier.
    Local x{e.var1, in.path, std::nullopt, std::nullopt};
    if (is_list) {
      if (in_entry) x.size = in_entry->val;
      x.path.push_back("@items");
    } else {
      if (in_entry) x.size = in_entry->key;
      x.path.push_back("@keys");
    }
    locals_.push_back(x);
    Est kc = Cost(key);
    Part step = Append(Part{kOne, Est{}, Entry{false, kOne, Est{}}}, kc, ComputeSize(key));
    locals_.pop_back();
    Est count = in_size.value_or(kUnknown);
    Est map_cost = kOne.Add(Fixed(kListCreate)).Add(kOne).Add(count.Mul(step.cost));
    locals_.pop_back();
    auto cands = checked_.candidates.find(&e);
    if (cands == checked_.candidates.end() || cands->second.empty()) return sum;
    Node target{nullptr, in.path, TypeOf(list), in_size};
    Node keys{nullptr, {}, Type::List(Type::Dyn()), count};
    Est fn{kMax, 0};
    for (const OverloadDecl* d : cands->second) {
      auto c = ExtensionCost(*d, Ovl::kSortBy, target, {keys});
      fn = fn.Union(c ? c->cost.Add(map_cost) : kOne.Add(map_cost));
      if (c && c->size) sizes_[&e] = *c->size;
    }
    return sum.Add(kOne).Add(fn);
  }

  const CheckResult& checked_;
  const EstimateOptions& options_;
  const Type dyn_ = Type::Dyn();
  std::vector<Local> locals_;
  std::unordered_map<const Expr*, Path> paths_;
  std::unordered_map<const Expr*, Est> sizes_;
  std::unordered_map<const Expr*, Entry> entries_;
};

}  // namespace

CostRange EstimateCost(const Expr& root, const CheckResult& checked, const EstimateOptions& options) {
  Estimator est(checked, options);
  Est c = est.Cost(root);
  return CostRange{c.min, c.max};
}

}  // namespace clausegate::cel::checker
