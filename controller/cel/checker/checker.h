#pragma once
// The type checker: infers the static type of every sub-expression as cel-go's
// checker does for a ValidatingAdmissionPolicy (homogeneous aggregate literals,
// overloads resolved where types are known, dyn where they are not), then applies
// the environment's validators (duration, timestamp and regex literals, mixed
// list and map literals outside format()).

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cel/syntax/ast.h"
#include "cel/checker/declarations.h"
#include "cel/checker/types.h"

namespace clausegate::cel::checker {

struct Issue {
  uint32_t offset = 0;  // in the source, as Expr::offset
  std::string message;  // as cel-go words it
};

struct CheckResult {
  Type type;                  // of the whole expression (dyn where unknown)
  std::vector<Issue> issues;  // empty when the expression checks
  // Per call (and sortBy), the overload it resolved to where exactly one matched:
  // cel-go's runtime then knows the overload, and some costs depend on it.
  std::unordered_map<const Expr*, const OverloadDecl*> overloads;
  // What the cost estimate needs besides: the type of every checked sub-expression,
  // every overload each call matched (cel-go keeps them all where arguments are
  // dyn), the calls written on a function namespace (`strings.quote(x)`, a global
  // call), and the selects that name a declared variable whole (`variables.x`).
  std::unordered_map<const Expr*, Type> types;
  std::unordered_map<const Expr*, std::vector<const OverloadDecl*>> candidates;
  std::unordered_map<const Expr*, std::string> global_calls;
  std::unordered_set<const Expr*> qualified_variables;
};

// The declared variables: `find` gives the type of a (possibly qualified) name, or
// null; `is_prefix` says whether some declared name starts with "<name>." (so that
// "variables.b" is reported whole when only "variables.a" exists).
struct Variables {
  std::function<const Type*(std::string_view name)> find;
  std::function<bool(std::string_view name)> is_prefix;
};

CheckResult Check(const Expr& expr, const Variables& variables, const Declarations& decls);

}  // namespace clausegate::cel::checker
