#pragma once
// Static types of CEL expressions, as the checker infers them: the type system of
// cel-go's checker (dyn, primitives, list/map/type with parameters, opaque types
// such as optional_type(T) and kubernetes.Quantity, object types with declared
// fields, type parameters), with its assignability and unification rules.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::cel::checker {

enum class TypeKind : uint8_t {
  kDyn,
  kError,  // a sub-expression that failed to check: assignable to anything, so one mistake gives one error
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kTimestamp,
  kDuration,
  kList,    // params: element
  kMap,     // params: key, value
  kType,    // params: the type it denotes, if known
  kOpaque,  // named, with params: optional_type(T), kubernetes.Quantity, net.IP, ...
  kObject,  // named, with declared fields: kubernetes.AdmissionRequest, ...
  kParam,   // a type parameter: A in size(list(A)), or a fresh variable of the checker
};

struct ObjectFields;

struct Type {
  TypeKind kind = TypeKind::kDyn;
  std::string name;          // kOpaque, kObject, kParam
  std::vector<Type> params;  // kList, kMap, kType, kOpaque
  std::shared_ptr<const ObjectFields> fields;  // kObject

  static Type Dyn() { return {}; }
  static Type Error() { return Of(TypeKind::kError); }
  static Type Null() { return Of(TypeKind::kNull); }
  static Type Bool() { return Of(TypeKind::kBool); }
  static Type Int() { return Of(TypeKind::kInt); }
  static Type Uint() { return Of(TypeKind::kUint); }
  static Type Double() { return Of(TypeKind::kDouble); }
  static Type String() { return Of(TypeKind::kString); }
  static Type Bytes() { return Of(TypeKind::kBytes); }
  static Type Timestamp() { return Of(TypeKind::kTimestamp); }
  static Type Duration() { return Of(TypeKind::kDuration); }
  static Type List(Type elem);
  static Type Map(Type key, Type value);
  static Type TypeOf(Type t);
  static Type TypeOfUnknown() { return Of(TypeKind::kType); }
  static Type Optional(Type inner);
  static Type Opaque(std::string name, std::vector<Type> params = {});
  static Type Object(std::string name, std::shared_ptr<const ObjectFields> fields);
  static Type Param(std::string name);
  static Type Of(TypeKind kind) {
    Type t;
    t.kind = kind;
    return t;
  }

  bool is_dyn_or_error() const { return kind == TypeKind::kDyn || kind == TypeKind::kError; }
  bool is_optional() const { return kind == TypeKind::kOpaque && name == "optional_type" && params.size() == 1; }
};

struct ObjectFields {
  std::map<std::string, Type, std::less<>> fields;
};

// As cel-go's checker prints a type: "list(string)", "map(string, dyn)",
// "optional_type(int)", "timestamp", "null", "kubernetes.Quantity".
std::string FormatType(const Type& t);

// Reads a type written as FormatType writes it; single capital letters are type
// parameters. Names of opaque types are taken as written. nullopt if malformed.
std::optional<Type> ParseType(std::string_view text);

// Same kind, name and parameters (type parameters match any name): the
// validator's notion of "the same type".
bool Equivalent(const Type& a, const Type& b);

// Substitutions of type parameters found while checking one expression.
class Substitutions {
 public:
  // t with every bound parameter replaced, recursively; unbound ones become dyn
  // when `unbound_to_dyn`.
  Type Apply(const Type& t, bool unbound_to_dyn = false) const;

  // Whether a value of type `from` can be used where `to` is expected, binding
  // type parameters on the way (on success only).
  bool Assignable(const Type& from, const Type& to);
  bool AssignableList(const std::vector<Type>& from, const std::vector<Type>& to);

  // A fresh type parameter.
  Type Fresh();

 private:
  bool Internal(const Type& t1, const Type& t2);
  bool ValidSubstitution(const Type& t1, const Type& t2, bool* has_sub);
  bool NotReferencedIn(const Type& param, const Type& within) const;
  const Type* Find(const std::string& name) const;

  std::map<std::string, Type> bound_;
  int next_fresh_ = 0;
};

// The more general of two types that unify (dyn and parameters are most general).
const Type& MostGeneral(const Type& a, const Type& b);

}  // namespace clausegate::cel::checker
