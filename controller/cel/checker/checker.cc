#include "cel/checker/checker.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <re2/re2.h>

#include "cel/syntax/format_string.h"
#include "cel/syntax/parser.h"
#include "common/time_util.h"

namespace clausegate::cel::checker {
namespace {

// The type named by a type identifier (`int` denotes type(int)), if `name` is one.
std::optional<Type> TypeIdentifier(std::string_view name) {
  if (name == "list") return Type::List(Type::Dyn());
  if (name == "map") return Type::Map(Type::Dyn(), Type::Dyn());
  if (name == "type") return Type::TypeOfUnknown();
  if (name == "null_type") return Type::Null();
  if (name == "optional_type") return Type::Optional(Type::Dyn());
  static constexpr std::string_view kSimple[] = {"dyn",    "bool",  "int",
                                                 "uint",   "double", "string",
                                                 "bytes",  "google.protobuf.Timestamp", "google.protobuf.Duration"};
  for (std::string_view s : kSimple) {
    if (s == name) return ParseType(s);
  }
  return std::nullopt;
}

std::string FormatCall(const std::vector<Type>& args, bool member) {
  std::string out;
  size_t first = 0;
  if (member && !args.empty()) {
    out = FormatType(args[0]) + ".";
    first = 1;
  }
  out += "(";
  for (size_t i = first; i < args.size(); ++i) {
    if (i > first) out += ", ";
    out += FormatType(args[i]);
  }
  return out + ")";
}

void CollectParams(const Type& t, std::set<std::string>* out) {
  if (t.kind == TypeKind::kParam) out->insert(t.name);
  for (const Type& p : t.params) CollectParams(p, out);
}

Type Rename(const Type& t, const std::unordered_map<std::string, Type>& fresh) {
  if (t.kind == TypeKind::kParam) {
    auto it = fresh.find(t.name);
    return it == fresh.end() ? t : it->second;
  }
  if (t.params.empty()) return t;
  Type out = t;
  for (Type& p : out.params) p = Rename(p, fresh);
  return out;
}

class Checker {
 public:
  Checker(const Variables& vars, const Declarations& decls) : vars_(vars), decls_(decls) {}

  CheckResult Run(const Expr& root) {
    CheckResult r;
    Type t = Check(root);
    for (auto& [e, ty] : types_) ty = subs_.Apply(ty, true);
    r.type = subs_.Apply(t, true);
    if (issues_.empty()) Validate(root, false);
    r.issues = std::move(issues_);
    r.overloads = std::move(overloads_);
    r.types = std::move(types_);
    r.candidates = std::move(candidates_);
    r.global_calls = std::move(global_calls_);
    r.qualified_variables = std::move(qualified_);
    return r;
  }

 private:
  void Report(uint32_t offset, std::string message) { issues_.push_back({offset, std::move(message)}); }

  void Mismatch(uint32_t offset, const Type& expected, const Type& found) {
    Report(offset, "expected type '" + FormatType(subs_.Apply(expected, true)) + "' but found '" +
                       FormatType(subs_.Apply(found, true)) + "'");
  }

  void Undeclared(uint32_t offset, std::string_view name) {
    Report(offset, "undeclared reference to '" + std::string(name) + "' (in container '')");
  }

  const Type* FindLocal(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    return nullptr;
  }

  Type Check(const Expr& e) {
    Type t = CheckKind(e);
    types_[&e] = t;
    return t;
  }

  Type CheckKind(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConst: return ConstType(e.constant);
      case ExprKind::kIdent: return CheckIdent(e);
      case ExprKind::kSelect: return CheckSelect(e);
      case ExprKind::kCall: return CheckCall(e);
      case ExprKind::kList: return CheckList(e);
      case ExprKind::kMap: return CheckMap(e);
      case ExprKind::kComprehension: return CheckComprehension(e);
    }
    return Type::Error();
  }

  static Type ConstType(const Value& v) {
    switch (v.kind()) {
      case Kind::kNull: return Type::Null();
      case Kind::kBool: return Type::Bool();
      case Kind::kInt: return Type::Int();
      case Kind::kUint: return Type::Uint();
      case Kind::kDouble: return Type::Double();
      case Kind::kString: return Type::String();
      case Kind::kBytes: return Type::Bytes();
      default: return Type::Dyn();
    }
  }

  // A declared variable or a type identifier named `name`.
  std::optional<Type> Global(std::string_view name) const {
    if (const Type* t = vars_.find(name)) return *t;
    if (auto t = TypeIdentifier(name)) return Type::TypeOf(*t);
    return std::nullopt;
  }

  Type CheckIdent(const Expr& e) {
    if (const Type* t = FindLocal(e.name)) return *t;
    if (auto t = Global(e.name)) return *t;
    Undeclared(e.offset, e.name);
    return Type::Error();
  }

  // "a.b.c" for a chain of plain selects on a name that is not a local.
  bool QualifiedName(const Expr& e, std::string* out) const {
    if (e.kind == ExprKind::kIdent) {
      if (FindLocal(e.name)) return false;
      *out = e.name;
      return true;
    }
    if (e.kind == ExprKind::kSelect && !e.test_only && !e.optional_select && e.target) {
      if (!QualifiedName(*e.target, out)) return false;
      *out += "." + e.name;
      return true;
    }
    return false;
  }

  Type CheckSelect(const Expr& e) {
    std::string qname;
    if (!e.test_only && !e.optional_select && QualifiedName(e, &qname)) {
      if (auto t = Global(qname)) {
        if (e.target && vars_.find(qname)) qualified_.insert(&e);
        return *t;
      }
      // "variables.b" where only "variables.a" is declared: name it whole.
      std::string root = qname.substr(0, qname.find('.'));
      if (!Global(root) && vars_.is_prefix(root)) {
        const Expr* start = &e;
        while (start->target) start = start->target.get();
        std::string prefix = qname.substr(0, qname.rfind('.'));
        if (!Global(prefix)) {
          Undeclared(start->offset, qname);
          return Type::Error();
        }
      }
    }
    Type result = SelectField(e, *e.target, e.name, e.optional_select);
    return e.test_only ? Type::Bool() : subs_.Apply(result);
  }

  static const Type* FindField(const Type& object, const std::string& field) {
    if (!object.fields) return nullptr;
    auto it = object.fields->fields.find(field);
    return it == object.fields->fields.end() ? nullptr : &it->second;
  }

  Type SelectField(const Expr& e, const Expr& operand, const std::string& field, bool optional) {
    Type operand_type = subs_.Apply(Check(operand));
    bool was_optional = operand_type.is_optional();
    Type target = was_optional ? operand_type.params[0] : operand_type;
    Type result = Type::Error();
    switch (target.kind) {
      case TypeKind::kMap: result = target.params[1]; break;
      case TypeKind::kObject: {
        const Type* f = FindField(target, field);
        if (f) {
          result = *f;
        } else {
          Report(e.offset, "undefined field '" + field + "'");
        }
        break;
      }
      case TypeKind::kParam:
        subs_.Assignable(Type::Dyn(), target);
        result = Type::Dyn();
        break;
      default:
        if (!target.is_dyn_or_error()) {
          Report(e.offset, "type '" + FormatType(subs_.Apply(target, true)) + "' does not support field selection");
        }
        result = Type::Dyn();
    }
    if (was_optional || optional) return Type::Optional(result);
    return result;
  }

  // Resolves a call against the declared overloads; reports and returns an error
  // type when none applies.
  Type Resolve(uint32_t offset, const std::string& name, bool member, const std::vector<Type>& args) {
    const std::vector<OverloadDecl>* overloads = decls_.Find(name);
    if (!overloads) {
      Undeclared(offset, name);
      return Type::Error();
    }
    if (name == op::kAnd || name == op::kOr) {
      bool ok = true;
      for (size_t i = 0; i < args.size(); ++i) {
        if (!subs_.Assignable(args[i], Type::Bool())) {
          Mismatch(arg_offsets_.size() > i ? arg_offsets_[i] : offset, Type::Bool(), args[i]);
          ok = false;
        }
      }
      return ok ? Type::Bool() : Type::Error();
    }
    std::optional<Type> result;
    const OverloadDecl* only = nullptr;
    size_t matched = 0;
    for (const OverloadDecl& o : *overloads) {
      if (o.member != member) continue;
      Type r;
      if (o.any_args) {
        r = o.result;
      } else {
        std::set<std::string> params;
        for (const Type& a : o.args) CollectParams(a, &params);
        CollectParams(o.result, &params);
        std::unordered_map<std::string, Type> fresh;
        for (const std::string& p : params) fresh.emplace(p, subs_.Fresh());
        std::vector<Type> want;
        for (const Type& a : o.args) want.push_back(Rename(a, fresh));
        if (!subs_.AssignableList(args, want)) continue;
        r = subs_.Apply(Rename(o.result, fresh));
      }
      only = &o;
      ++matched;
      if (resolving_) candidates_[resolving_].push_back(&o);
      if (!result) {
        result = r;
      } else if (result->kind != TypeKind::kDyn && !Equivalent(*result, r)) {
        result = Type::Dyn();
      }
    }
    if (!result) {
      std::vector<Type> shown;
      for (const Type& a : args) shown.push_back(subs_.Apply(a, true));
      Report(offset, "found no matching overload for '" + name + "' applied to '" + FormatCall(shown, member) + "'");
      return Type::Error();
    }
    if (resolving_ && matched == 1) overloads_[resolving_] = only;
    return *result;
  }

  Type CheckCall(const Expr& e) {
    // A member call on a qualified name that names a function namespace
    // (strings.quote, optional.of) is a global call.
    std::string qname;
    if (e.target && QualifiedName(*e.target, &qname) && !Global(qname.substr(0, qname.find('.'))) &&
        decls_.Find(qname + "." + e.name)) {
      global_calls_[&e] = qname + "." + e.name;
      return CheckArgsAndResolve(e, qname + "." + e.name, false, nullptr);
    }
    return CheckArgsAndResolve(e, e.name, e.target != nullptr, e.target.get());
  }

  Type CheckArgsAndResolve(const Expr& e, const std::string& name, bool member, const Expr* target) {
    std::vector<Type> args;
    std::vector<uint32_t> offsets;
    std::vector<Type> rest;
    for (const auto& a : e.args) rest.push_back(Check(*a));
    if (target) {
      args.push_back(Check(*target));
      offsets.push_back(target->offset);
    }
    for (size_t i = 0; i < e.args.size(); ++i) {
      args.push_back(rest[i]);
      offsets.push_back(e.args[i]->offset);
    }
    arg_offsets_ = offsets;
    resolving_ = &e;
    Type t = Resolve(e.offset, name, member, args);
    resolving_ = nullptr;
    arg_offsets_.clear();
    return t;
  }

  // cel-go's joinTypes: mixed literals are dyn here; the aggregate validator
  // refuses them afterwards, except inside format().
  Type Join(const std::optional<Type>& previous, const Type& current) {
    if (!previous) return current;
    if (subs_.Assignable(*previous, current)) return MostGeneral(*previous, current);
    return Type::Dyn();
  }

  Type UnwrapOptionalElement(uint32_t offset, const Type& t) {
    Type s = subs_.Apply(t);
    if (s.is_optional()) return s.params[0];
    if (!s.is_dyn_or_error()) Mismatch(offset, Type::Optional(s), s);
    return s;
  }

  Type CheckList(const Expr& e) {
    std::optional<Type> elems;
    for (size_t i = 0; i < e.args.size(); ++i) {
      Type t = Check(*e.args[i]);
      if (i < e.optional_elements.size() && e.optional_elements[i]) t = UnwrapOptionalElement(e.args[i]->offset, t);
      elems = Join(elems, t);
    }
    return Type::List(elems ? *elems : subs_.Fresh());
  }

  Type CheckMap(const Expr& e) {
    std::optional<Type> keys, values;
    for (const MapEntry& m : e.entries) {
      keys = Join(keys, Check(*m.key));
      Type v = Check(*m.value);
      if (m.optional) v = UnwrapOptionalElement(m.value->offset, v);
      values = Join(values, v);
    }
    if (!keys) return Type::Map(subs_.Fresh(), subs_.Fresh());
    return Type::Map(*keys, *values);
  }

  // The iteration variables' types for a range of type `range`.
  std::pair<Type, Type> RangeVariables(const Expr& range_expr, const Type& range_type, bool two) {
    Type r = subs_.Apply(range_type);
    switch (r.kind) {
      case TypeKind::kList: return two ? std::pair{Type::Int(), r.params[0]} : std::pair{r.params[0], Type::Dyn()};
      case TypeKind::kMap: return {r.params[0], r.params[1]};
      case TypeKind::kDyn:
      case TypeKind::kError:
      case TypeKind::kParam:
        subs_.Assignable(Type::Dyn(), r);
        return {Type::Dyn(), Type::Dyn()};
      default:
        Report(range_expr.offset, "expression of type '" + FormatType(subs_.Apply(r, true)) +
                                      "' cannot be range of a comprehension (must be list, map, or dynamic)");
        return {Type::Error(), Type::Error()};
    }
  }

  // The accumulator's step must keep its type (cel-go's assertType).
  void Step(uint32_t offset, const Type& step, const Type& accu) {
    if (!subs_.Assignable(step, accu)) Mismatch(offset, accu, step);
  }

  Type Ternary(uint32_t offset, const Type& cond, const Type& a, const Type& b) {
    return Resolve(offset, std::string(op::kCond), false, {cond, a, b});
  }

  Type CheckComprehension(const Expr& e) {
    const bool clausegate = decls_.profile() == Profile::kClausegate;
    if (e.macro == MacroKind::kBind) {
      if (!clausegate) {
        Undeclared(e.offset, "cel");
        return Type::Error();
      }
      Type init = Check(*e.args[0]);
      locals_.emplace_back(e.var1, subs_.Apply(init));
      Type body = Check(*e.args[1]);
      locals_.pop_back();
      return body;
    }
    if (e.macro == MacroKind::kExistsOne && e.var2.empty() && e.name == "existsOne" && !clausegate) {
      Undeclared(e.offset, "existsOne");
      return Type::Error();
    }
    const Expr& range = *e.args[0];
    Type range_type = Check(range);
    if (e.macro == MacroKind::kOptMap || e.macro == MacroKind::kOptFlatMap) {
      Type has = Resolve(e.offset, "hasValue", true, {range_type});
      Type value = Resolve(e.offset, "value", true, {range_type});
      locals_.emplace_back(e.var1, subs_.Apply(value));
      Type body = Check(*e.args[1]);
      locals_.pop_back();
      Type none = Resolve(e.offset, "optional.none", false, {});
      if (e.macro == MacroKind::kOptMap) body = Resolve(e.offset, "optional.of", false, {body});
      return subs_.Apply(Ternary(e.offset, has, body, none));
    }
    const bool two = !e.var2.empty();
    auto [t1, t2] = RangeVariables(range, range_type, two);
    size_t mark = locals_.size();
    locals_.emplace_back(e.var1, t1);
    if (two) locals_.emplace_back(e.var2, t2);
    const size_t bodies = e.args.size() - 1;
    auto body = [&](size_t i) { return Check(*e.args[1 + i]); };
    Type result;
    switch (e.macro) {
      case MacroKind::kAll:
      case MacroKind::kExists: {
        Type pred = body(0);
        if (!subs_.Assignable(pred, Type::Bool())) Mismatch(e.args[1]->offset, Type::Bool(), pred);
        result = Type::Bool();
        break;
      }
      case MacroKind::kExistsOne: {
        Type pred = body(0);
        Ternary(e.offset, pred, Type::Int(), Type::Int());
        result = Type::Bool();
        break;
      }
      case MacroKind::kMap:
      case MacroKind::kFilter:
      case MacroKind::kTransformList: {
        Type accu = Type::List(subs_.Fresh());
        bool filtered = e.macro == MacroKind::kFilter || bodies == 2;
        Type pred = filtered ? body(0) : Type::Bool();
        Type elem = e.macro == MacroKind::kFilter ? t1 : body(bodies - 1);
        Type step = Resolve(e.offset, std::string(op::kAdd), false, {accu, Type::List(elem)});
        if (filtered) step = Ternary(e.offset, pred, step, accu);
        Step(e.offset, step, accu);
        result = subs_.Apply(accu);
        break;
      }
      case MacroKind::kSortBy: {
        Type key = body(0);
        resolving_ = &e;
        result = Resolve(e.offset, "@sortByAssociatedKeys", true, {range_type, Type::List(key)});
        resolving_ = nullptr;
        break;
      }
      case MacroKind::kTransformMap: {
        Type accu = Type::Map(subs_.Fresh(), subs_.Fresh());
        Type pred = bodies == 2 ? body(0) : Type::Bool();
        Type value = body(bodies - 1);
        Type step = e.name == "transformMapEntry"
                        ? Resolve(e.offset, "cel.@mapInsert", false, {accu, value})
                        : Resolve(e.offset, "cel.@mapInsert", false, {accu, t1, value});
        if (bodies == 2) step = Ternary(e.offset, pred, step, accu);
        Step(e.offset, step, accu);
        result = subs_.Apply(accu);
        break;
      }
      default: result = Type::Dyn();
    }
    locals_.resize(mark);
    return result;
  }

  // --- validators (on the final types) ---------------------------------------

  const Type& FinalType(const Expr& e) const {
    auto it = types_.find(&e);
    return it == types_.end() ? dyn_ : it->second;
  }

  Type ElementType(const Expr& e, bool optional) const {
    const Type& t = FinalType(e);
    return optional && t.is_optional() ? t.params[0] : t;
  }

  void ValidateLiteral(const Expr& call, const std::string& name) {
    if (call.args.empty() || call.args[0]->kind != ExprKind::kConst) return;
    const Expr& lit = *call.args[0];
    const Value& v = lit.constant;
    bool ok = true;
    if (name == "duration" && !call.target) {
      if (v.kind() == Kind::kString) ok = ParseDuration(v.string_value()).has_value();
    } else if (name == "timestamp" && !call.target) {
      if (v.kind() == Kind::kString) {
        ok = ParseTimestamp(v.string_value()).has_value();
      } else if (v.kind() == Kind::kInt) {
        ok = TimestampInRange(Timestamp{v.int_value(), 0});
      }
    } else if (name == "matches") {
      if (v.kind() != Kind::kString) return;
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 re(v.string_value(), opts);
      ok = re.ok();
    } else {
      return;
    }
    if (!ok) Report(lit.offset, "invalid " + name + " argument");
  }

  void ValidateAggregate(const Expr& e) {
    if (e.kind == ExprKind::kList) {
      std::optional<Type> first;
      for (size_t i = 0; i < e.args.size(); ++i) {
        bool opt = i < e.optional_elements.size() && e.optional_elements[i];
        Type t = ElementType(*e.args[i], opt);
        if (!first) {
          first = t;
        } else if (!Equivalent(*first, t)) {
          Report(e.args[i]->offset, "expected type '" + FormatType(*first) + "' but found '" + FormatType(t) + "'");
          break;
        }
      }
    } else if (e.kind == ExprKind::kMap) {
      std::optional<Type> key, value;
      for (const MapEntry& m : e.entries) {
        Type k = FinalType(*m.key);
        Type v = ElementType(*m.value, m.optional);
        if (!key) {
          key = k;
          value = v;
          continue;
        }
        if (!Equivalent(*key, k)) {
          Report(m.key->offset, "expected type '" + FormatType(*key) + "' but found '" + FormatType(k) + "'");
        }
        if (!Equivalent(*value, v)) {
          Report(m.value->offset, "expected type '" + FormatType(*value) + "' but found '" + FormatType(v) + "'");
        }
      }
    }
  }

  // The name cel-go gives a type in format() errors.
  static std::string TypeName(const Type& t) {
    switch (t.kind) {
      case TypeKind::kList: return "list";
      case TypeKind::kMap: return "map";
      case TypeKind::kTimestamp: return "google.protobuf.Timestamp";
      case TypeKind::kDuration: return "google.protobuf.Duration";
      case TypeKind::kNull: return "null_type";
      case TypeKind::kType: return "type";
      case TypeKind::kOpaque:
      case TypeKind::kObject:
      case TypeKind::kParam: return t.name;
      default: return FormatType(t);
    }
  }

  static bool KindIn(const Type& t, std::initializer_list<TypeKind> kinds) {
    if (t.kind == TypeKind::kDyn) return true;
    return std::find(kinds.begin(), kinds.end(), t.kind) != kinds.end();
  }

  // What %s accepts, looking into list and map literals; the offending expression.
  const Expr* NotStringable(const Expr& e) const {
    const Type& t = FinalType(e);
    if (!KindIn(t, {TypeKind::kList, TypeKind::kMap, TypeKind::kInt, TypeKind::kUint, TypeKind::kDouble, TypeKind::kBool,
                    TypeKind::kString, TypeKind::kTimestamp, TypeKind::kBytes, TypeKind::kDuration, TypeKind::kType,
                    TypeKind::kNull})) {
      return &e;
    }
    if (e.kind == ExprKind::kList) {
      for (const auto& a : e.args) {
        if (const Expr* bad = NotStringable(*a)) return bad;
      }
    }
    if (e.kind == ExprKind::kMap) {
      for (const MapEntry& m : e.entries) {
        if (const Expr* bad = NotStringable(*m.key)) return bad;
        if (const Expr* bad = NotStringable(*m.value)) return bad;
      }
    }
    return nullptr;
  }

  // The strings extension's check of a literal format string applied to a list
  // literal: clauses that parse, arguments of types they take, none left over.
  void ValidateFormat(const Expr& call) {
    if (decls_.profile() != Profile::kKubernetes || !call.target || call.target->kind != ExprKind::kConst ||
        call.target->constant.kind() != Kind::kString || call.args.size() != 1 || call.args[0]->kind != ExprKind::kList) {
      return;
    }
    const Expr& list = *call.args[0];
    std::string text;
    size_t seen = 0;
    uint32_t at = call.offset;
    auto err = WalkFormat(
        call.target->constant.string_value(), list.args.size(), false,
        [&](size_t index, const FormatClause& c, std::string*) -> std::optional<std::string> {
          const Expr& arg = *list.args[index];
          const Type& t = FinalType(arg);
          at = arg.offset;
          auto bad = [&](const char* what, const Type& ty) {
            return std::optional<std::string>("error during formatting: " + std::string(what) + ", was given " +
                                              TypeName(ty));
          };
          switch (c.verb) {
            case 's':
              if (const Expr* wrong = NotStringable(arg)) {
                at = wrong->offset;
                return bad("string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, "
                           "types, durations, and timestamps",
                           FinalType(*wrong));
              }
              return std::nullopt;
            case 'd':
              if (KindIn(t, {TypeKind::kInt, TypeKind::kUint})) return std::nullopt;
              return bad("decimal clause can only be used on integers", t);
            case 'f':
              if (KindIn(t, {TypeKind::kDouble, TypeKind::kString})) return std::nullopt;
              return bad("fixed-point clause can only be used on doubles", t);
            case 'e':
              if (KindIn(t, {TypeKind::kDouble, TypeKind::kString})) return std::nullopt;
              return bad("scientific clause can only be used on doubles", t);
            case 'b':
              if (KindIn(t, {TypeKind::kInt, TypeKind::kUint, TypeKind::kBool})) return std::nullopt;
              return bad("only integers and bools can be formatted as binary", t);
            case 'o':
              if (KindIn(t, {TypeKind::kInt, TypeKind::kUint})) return std::nullopt;
              return bad("octal clause can only be used on integers", t);
            default:
              if (KindIn(t, {TypeKind::kInt, TypeKind::kUint, TypeKind::kString, TypeKind::kBytes})) return std::nullopt;
              return bad("only integers, byte buffers, and strings can be formatted as hex", t);
          }
        },
        &text, &seen);
    if (err) {
      Report(at, *err);
    } else if (list.args.size() > seen) {
      Report(call.offset, "too many arguments supplied to string.format (expected " + std::to_string(seen) + ", got " +
                              std::to_string(list.args.size()) + ")");
    }
  }

  void Validate(const Expr& e, bool in_exempt) {
    if (e.kind == ExprKind::kCall) {
      ValidateLiteral(e, e.name);
      if (e.name == "format") ValidateFormat(e);
      if (e.name == "format" || (e.name == "bind" && decls_.profile() == Profile::kClausegate)) in_exempt = true;
    }
    if (e.kind == ExprKind::kComprehension && e.macro == MacroKind::kBind) in_exempt = true;
    if (!in_exempt) ValidateAggregate(e);
    if (e.target) Validate(*e.target, in_exempt);
    for (const auto& a : e.args) Validate(*a, in_exempt);
    for (const MapEntry& m : e.entries) {
      Validate(*m.key, in_exempt);
      Validate(*m.value, in_exempt);
    }
  }

  const Variables& vars_;
  const Declarations& decls_;
  Substitutions subs_;
  std::unordered_map<const Expr*, Type> types_;
  std::unordered_map<const Expr*, const OverloadDecl*> overloads_;
  std::unordered_map<const Expr*, std::vector<const OverloadDecl*>> candidates_;
  std::unordered_map<const Expr*, std::string> global_calls_;
  std::unordered_set<const Expr*> qualified_;
  const Expr* resolving_ = nullptr;  // the call whose overloads Resolve is matching
  std::vector<std::pair<std::string, Type>> locals_;
  std::vector<uint32_t> arg_offsets_;  // of the call being resolved, for && and || mismatches
  std::vector<Issue> issues_;
  const Type dyn_;
};

}  // namespace

CheckResult Check(const Expr& expr, const Variables& variables, const Declarations& decls) {
  return Checker(variables, decls).Run(expr);
}

}  // namespace clausegate::cel::checker
