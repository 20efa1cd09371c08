#pragma once
// RE2-backed regex operations shared by the regex overloads and the planner's
// compiled-once form for literal patterns.

#include <memory>
#include <string_view>

#include <re2/re2.h>

#include "cel/runtime.h"

namespace clausegate::cel {

// Compiles with bounded memory; check ok() on the result.
std::unique_ptr<RE2> CompileRegex(std::string_view pattern);

Value RegexMatches(const RE2& re, std::string_view text, Frame& f);
Value RegexFind(const RE2& re, std::string_view text, Frame& f);
// limit < 0: all matches.
Value RegexFindAll(const RE2& re, std::string_view text, int64_t limit, Frame& f);

}  // namespace clausegate::cel
