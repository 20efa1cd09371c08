#pragma once
// string.format(): the clause grammar shared by the runtime and the type checker.
//
// Two formatters exist. Kubernetes 1.37 (cel-go's strings extension at version 2)
// formats with en_US conventions: "%.2f" of 1234.5 is "1,234.50", "%e" writes
// "1.234500×10⁰³" with the precision taken as a width, "%f" refuses ints, and lists
// print their elements as CEL literals ([1, "a", 2.500000]). cel-spec's formatter
// (the conformance suite's; the clausegate profile) prints "1234.50" and
// "1.234500e+03".

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
