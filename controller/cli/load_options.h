#pragma once
// The policy-loading flags every command that loads policies shares (lint, check,
// test, serve), read one way.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "policy/loader.h"

namespace clausegate::cli {

inline constexpr std::string_view kLoadOptionsUsage =
    "  --max-estimated-cost N  refuse an expression whose estimated cost (as Kubernetes estimates it,\n"
    "                  for objects up to the 3 MiB request size) is above N; `lint --costs` shows them\n";

// `max_estimated_cost`: the flag's text (empty: not given). On a bad value, prints
// "clausegate COMMAND: ..." to `err` and returns nullopt.
std::optional<policy::LoadOptions> ReadLoadOptions(std::string_view command, const std::string& max_estimated_cost,
                                                   std::ostream& err);

}  // namespace clausegate::cli
