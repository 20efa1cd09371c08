#pragma once
// CEL parser: source text -> Expr tree, with macros expanded.

#include <optional>
#include <string>
#include <string_view>

#include "cel/syntax/ast.h"
#include "common/source_position.h"

namespace clausegate::cel {

struct ParseLimits {
  size_t max_source_bytes = 100 * 1024;
  uint32_t max_depth = 128;  // of the resulting tree; bounds every later recursion
};

struct ParseError {
  SourcePosition position;
  std::string message;
};

struct ParseResult {
  ExprPtr expr;                     // null on error
  std::optional<ParseError> error;  // set on error
};

ParseResult Parse(std::string_view source, const ParseLimits& limits = {});

// Operator function names, as in the CEL specification.
namespace op {
inline constexpr std::string_view kAdd = "_+_";
inline constexpr std::string_view kSub = "_-_";
inline constexpr std::string_view kMul = "_*_";
inline constexpr std::string_view kDiv = "_/_";
inline constexpr std::string_view kMod = "_%_";
inline constexpr std::string_view kNeg = "-_";
inline constexpr std::string_view kNot = "!_";
inline constexpr std::string_view kEq = "_==_";
inline constexpr std::string_view kNe = "_!=_";
inline constexpr std::string_view kLt = "_<_";
inline constexpr std::string_view kLe = "_<=_";
inline constexpr std::string_view kGt = "_>_";
inline constexpr std::string_view kGe = "_>=_";
inline constexpr std::string_view kIn = "@in";
inline constexpr std::string_view kAnd = "_&&_";
inline constexpr std::string_view kOr = "_||_";
inline constexpr std::string_view kCond = "_?_:_";
inline constexpr std::string_view kIndex = "_[_]";
inline constexpr std::string_view kOptIndex = "_[?_]";
}  // namespace op

}  // namespace clausegate::cel
