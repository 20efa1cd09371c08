#pragma once
// The parsed form of a CEL expression. Macros are expanded by the parser into
// Comprehension nodes, so later stages never see them as calls.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cel/values/value.h"

namespace clausegate::cel {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind { kConst, kIdent, kSelect, kCall, kList, kMap, kComprehension };

enum class MacroKind {
  kAll,            // e.all(x, p), e.all(i, v, p)
  kExists,         // e.exists(x, p), e.exists(i, v, p)
  kExistsOne,      // e.exists_one(x, p), e.existsOne(x, p) / (i, v, p)
  kMap,            // e.map(x, t), e.map(x, p, t)
  kFilter,         // e.filter(x, p)
  kTransformList,  // e.transformList(i, v, t), (i, v, p, t)
  kTransformMap,   // e.transformMap(k, v, t), (k, v, p, t); transformMapEntry: t is a map of entries
  kOptMap,         // o.optMap(x, t)
  kOptFlatMap,     // o.optFlatMap(x, t)
  kBind,           // cel.bind(x, init, body)
  kSortBy,         // e.sortBy(x, key)
};

struct MapEntry {
  ExprPtr key;
  ExprPtr value;
  bool optional = false;  // {?k: v}
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  uint32_t offset = 0;  // byte offset in the source, for messages

  Value constant;  // kConst

  // kIdent: the name. kSelect: the field. kCall: the function ("_+_", "size", ...).
  // kComprehension: the macro as written ("existsOne", "transformMapEntry", ...).
  std::string name;

  // kSelect: operand. kCall: the receiver of a member call, or null.
  ExprPtr target;
  bool test_only = false;        // kSelect inside has()
  bool optional_select = false;  // kSelect written a.?b

  // kCall: arguments. kList: elements. kComprehension: range and bodies.
  std::vector<ExprPtr> args;
  std::vector<bool> optional_elements;  // kList: [?e] per element

  std::vector<MapEntry> entries;  // kMap

  // kComprehension. For kBind, args = {init, body}; otherwise args[0] is the range
  // and the rest are the macro's predicate / transform in source order.
  MacroKind macro = MacroKind::kAll;
  std::string var1, var2;  // var2 empty for one-variable forms
};

}  // namespace clausegate::cel
