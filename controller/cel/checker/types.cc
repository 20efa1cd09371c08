#include "cel/checker/types.h"

#include <cctype>

namespace clausegate::cel::checker {

Type Type::List(Type elem) {
  Type t = Of(TypeKind::kList);
  t.params.push_back(std::move(elem));
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t = Of(TypeKind::kMap);
  t.params.push_back(std::move(key));
  t.params.push_back(std::move(value));
  return t;
}

Type Type::TypeOf(Type of) {
  Type t = Of(TypeKind::kType);
  t.params.push_back(std::move(of));
  return t;
}

Type Type::Optional(Type inner) { return Opaque("optional_type", {std::move(inner)}); }

Type Type::Opaque(std::string name, std::vector<Type> params) {
  Type t = Of(TypeKind::kOpaque);
  t.name = std::move(name);
  t.params = std::move(params);
  return t;
}

Type Type::Object(std::string name, std::shared_ptr<const ObjectFields> fields) {
  Type t = Of(TypeKind::kObject);
  t.name = std::move(name);
  t.fields = std::move(fields);
  return t;
}

Type Type::Param(std::string name) {
  Type t = Of(TypeKind::kParam);
  t.name = std::move(name);
  return t;
}

namespace {

std::string FormatParams(const std::vector<Type>& params) {
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out += ", ";
    out += FormatType(params[i]);
  }
  return out;
}

// Kind, name and parameters equal; `param_names` decides whether type parameters
// must also have the same name.
bool Same(const Type& a, const Type& b, bool param_names) {
  if (a.kind != b.kind || a.params.size() != b.params.size()) return false;
  if ((param_names || a.kind != TypeKind::kParam) && a.name != b.name) return false;
  for (size_t i = 0; i < a.params.size(); ++i) {
    if (!Same(a.params[i], b.params[i], param_names)) return false;
  }
  return true;
}

bool Exact(const Type& a, const Type& b) { return Same(a, b, true); }

bool LessOrEquallySpecific(const Type& t1, const Type& t2) {
  if (t1.kind == TypeKind::kDyn || t1.kind == TypeKind::kParam) return true;
  if (t2.kind == TypeKind::kDyn || t2.kind == TypeKind::kParam) return false;
  if (t1.kind != t2.kind) return false;
  switch (t1.kind) {
    case TypeKind::kOpaque:
      if (t1.name != t2.name || t1.params.size() != t2.params.size()) return false;
      [[fallthrough]];
    case TypeKind::kList:
    case TypeKind::kMap:
      for (size_t i = 0; i < t1.params.size() && i < t2.params.size(); ++i) {
        if (!LessOrEquallySpecific(t1.params[i], t2.params[i])) return false;
      }
      return true;
    case TypeKind::kType: return true;
    default: return Exact(t1, t2);
  }
}

// The types a null may be passed as (cel-go keeps its first checker's rule).
bool Nullable(const Type& t) {
  switch (t.kind) {
    case TypeKind::kNull:
    case TypeKind::kOpaque:
    case TypeKind::kObject:
    case TypeKind::kDuration:
    case TypeKind::kTimestamp: return true;
    default: return false;
  }
}

}  // namespace

std::string FormatType(const Type& t) {
  switch (t.kind) {
    case TypeKind::kDyn: return "dyn";
    case TypeKind::kError: return "!error!";
    case TypeKind::kNull: return "null";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kUint: return "uint";
    case TypeKind::kDouble: return "double";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kTimestamp: return "timestamp";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kList: return "list(" + FormatParams(t.params) + ")";
    case TypeKind::kMap: return "map(" + FormatParams(t.params) + ")";
    case TypeKind::kType: return t.params.empty() ? "type" : "type(" + FormatParams(t.params) + ")";
    case TypeKind::kOpaque: return t.params.empty() ? t.name : t.name + "(" + FormatParams(t.params) + ")";
    case TypeKind::kObject:
    case TypeKind::kParam: return t.name;
  }
  return "?";
}

std::optional<Type> ParseType(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::vector<Type> params;
  std::string_view head = text;
  if (size_t open = text.find('('); open != std::string_view::npos) {
    if (text.back() != ')') return std::nullopt;
    head = text.substr(0, open);
    std::string_view inner = text.substr(open + 1, text.size() - open - 2);
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= inner.size(); ++i) {
      if (i == inner.size() || (inner[i] == ',' && depth == 0)) {
        auto p = ParseType(inner.substr(start, i - start));
        if (!p) return std::nullopt;
        params.push_back(std::move(*p));
        start = i + 1;
      } else if (inner[i] == '(') {
        ++depth;
      } else if (inner[i] == ')') {
        if (--depth < 0) return std::nullopt;
      }
    }
    if (depth != 0) return std::nullopt;
  }
  struct Simple {
    std::string_view name;
    TypeKind kind;
  };
  static constexpr Simple kSimple[] = {
      {"dyn", TypeKind::kDyn},       {"null", TypeKind::kNull},          {"null_type", TypeKind::kNull},
      {"bool", TypeKind::kBool},     {"int", TypeKind::kInt},            {"uint", TypeKind::kUint},
      {"double", TypeKind::kDouble}, {"string", TypeKind::kString},      {"bytes", TypeKind::kBytes},
      {"timestamp", TypeKind::kTimestamp}, {"duration", TypeKind::kDuration},
      {"google.protobuf.Timestamp", TypeKind::kTimestamp}, {"google.protobuf.Duration", TypeKind::kDuration}};
  for (const Simple& s : kSimple) {
    if (head == s.name) return params.empty() ? std::optional<Type>(Type::Of(s.kind)) : std::nullopt;
  }
  if (head == "list") {
    if (params.empty()) return Type::List(Type::Dyn());
    return params.size() == 1 ? std::optional<Type>(Type::List(std::move(params[0]))) : std::nullopt;
  }
  if (head == "map") {
    if (params.empty()) return Type::Map(Type::Dyn(), Type::Dyn());
    return params.size() == 2 ? std::optional<Type>(Type::Map(std::move(params[0]), std::move(params[1])))
                              : std::nullopt;
  }
  if (head == "type") {
    if (params.empty()) return Type::TypeOfUnknown();
    return params.size() == 1 ? std::optional<Type>(Type::TypeOf(std::move(params[0]))) : std::nullopt;
  }
  if (head.size() == 1 && std::isupper(static_cast<unsigned char>(head[0]))) {
    return params.empty() ? std::optional<Type>(Type::Param(std::string(head))) : std::nullopt;
  }
  for (char c : head) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') return std::nullopt;
  }
  return Type::Opaque(std::string(head), std::move(params));
}

bool Equivalent(const Type& a, const Type& b) { return Same(a, b, false); }

const Type& MostGeneral(const Type& a, const Type& b) { return LessOrEquallySpecific(a, b) ? a : b; }

const Type* Substitutions::Find(const std::string& name) const {
  auto it = bound_.find(name);
  return it == bound_.end() ? nullptr : &it->second;
}

Type Substitutions::Fresh() { return Type::Param("_var" + std::to_string(next_fresh_++)); }

Type Substitutions::Apply(const Type& t, bool unbound_to_dyn) const {
  if (t.kind == TypeKind::kParam) {
    if (const Type* sub = Find(t.name)) return Apply(*sub, unbound_to_dyn);
    return unbound_to_dyn ? Type::Dyn() : t;
  }
  if (t.params.empty()) return t;
  Type out = t;
  for (Type& p : out.params) p = Apply(p, unbound_to_dyn);
  return out;
}

bool Substitutions::NotReferencedIn(const Type& param, const Type& within) const {
  if (Exact(param, within)) return false;
  switch (within.kind) {
    case TypeKind::kParam: {
      const Type* sub = Find(within.name);
      return sub == nullptr || NotReferencedIn(param, *sub);
    }
    case TypeKind::kOpaque:
    case TypeKind::kList:
    case TypeKind::kMap:
    case TypeKind::kType:
      for (const Type& p : within.params) {
        if (!NotReferencedIn(param, p)) return false;
      }
      return true;
    default: return true;
  }
}

// Whether t2, a type parameter (or what it is bound to), can stand for t1.
bool Substitutions::ValidSubstitution(const Type& t1, const Type& t2, bool* has_sub) {
  *has_sub = false;
  if (t1.kind == t2.kind && Exact(t1, t2)) {
    *has_sub = true;
    return true;
  }
  if (const Type* found = Find(t2.name)) {
    *has_sub = true;
    Type sub = *found;
    if (t1.kind == sub.kind && Exact(t1, sub)) return true;
    if (Internal(t1, sub)) {
      Type general = MostGeneral(t1, sub);
      if (NotReferencedIn(t2, general)) bound_[t2.name] = std::move(general);
      return true;
    }
    return false;
  }
  if (NotReferencedIn(t2, t1)) {
    bound_[t2.name] = t1;
    return true;
  }
  return false;
}

bool Substitutions::Internal(const Type& t1, const Type& t2) {
  if (t2.kind == TypeKind::kParam) {
    bool has_sub = false;
    if (ValidSubstitution(t1, t2, &has_sub)) return true;
    if (has_sub) return false;
  }
  if (t1.kind == TypeKind::kParam) {
    bool has_sub = false;
    return ValidSubstitution(t2, t1, &has_sub);
  }
  if (t1.is_dyn_or_error() || t2.is_dyn_or_error()) return true;
  if (t1.kind == TypeKind::kNull) return Nullable(t2);
  if (t2.kind == TypeKind::kNull) return Nullable(t1);
  switch (t1.kind) {
    case TypeKind::kBool:
    case TypeKind::kInt:
    case TypeKind::kUint:
    case TypeKind::kDouble:
    case TypeKind::kString:
    case TypeKind::kBytes:
    case TypeKind::kTimestamp:
    case TypeKind::kDuration: return t1.kind == t2.kind;
    case TypeKind::kObject: return t2.kind == TypeKind::kObject && t1.name == t2.name;
    case TypeKind::kType: return t2.kind == TypeKind::kType;
    case TypeKind::kOpaque:
    case TypeKind::kList:
    case TypeKind::kMap:
      if (t1.kind != t2.kind || t1.name != t2.name || t1.params.size() != t2.params.size()) return false;
      for (size_t i = 0; i < t1.params.size(); ++i) {
        if (!Internal(t1.params[i], t2.params[i])) return false;
      }
      return true;
    default: return false;
  }
}

bool Substitutions::Assignable(const Type& from, const Type& to) {
  auto saved = bound_;
  if (Internal(from, to)) return true;
  bound_ = std::move(saved);
  return false;
}

bool Substitutions::AssignableList(const std::vector<Type>& from, const std::vector<Type>& to) {
  if (from.size() != to.size()) return false;
  auto saved = bound_;
  for (size_t i = 0; i < from.size(); ++i) {
    if (!Internal(from[i], to[i])) {
      bound_ = std::move(saved);
      return false;
    }
  }
  return true;
}

}  // namespace clausegate::cel::checker
