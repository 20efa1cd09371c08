#pragma once
// The clauses of a string.format() format string ("%s", "%.2f", ...): read the same
// way by the runtime's formatters and by the type checker's validation of literals.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace clausegate::cel {

struct FormatClause {
  char verb = 's';                 // s d f e b o x X
  std::optional<int> precision;    // "%.3f"
};

// Walks a format string as cel-go's parseFormatString does: text is appended to
// `out`, each clause is handed to `clause` with its argument index (which may be
// past `arg_count`: the callback decides). Returns the error text, if any: a
// malformed clause, or the callback's own error. `runtime` orders the checks as
// evaluation does (a missing argument before an unfinished clause).
using ClauseFn = std::function<std::optional<std::string>(size_t index, const FormatClause& clause, std::string* out)>;
std::optional<std::string> WalkFormat(std::string_view format, size_t arg_count, bool runtime, const ClauseFn& clause,
                                      std::string* out, size_t* clauses_seen);

}  // namespace clausegate::cel
