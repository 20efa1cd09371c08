#pragma once
// The policy-loading flags every command that loads policies shares (lint, check,
// test, audit, serve), declared and read one way.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "cli/args.h"
#include "policy/loader.h"

namespace clausegate::cli {

inline constexpr std::string_view kLoadOptionsUsage =
    "  --max-estimated-cost N  refuse an expression whose estimated cost (as Kubernetes estimates it,\n"
    "                  for objects up to the 3 MiB request size) is above N; `lint --costs` shows them\n"
    "  --controller-namespace NS  the namespace the controller runs in: a CompliancePolicyException kept\n"
    "                  there waives anywhere; one kept in another namespace waives only in its own\n";

// The flags' texts as given (empty: not given).
struct LoadFlags {
  std::string max_estimated_cost;
  std::string controller_namespace;

  // Declares the flags on `args`.
  void Declare(Args& args);
};

// On a bad value, prints "clausegate COMMAND: ..." to `err` and returns nullopt.
std::optional<policy::LoadOptions> ReadLoadOptions(std::string_view command, const LoadFlags& flags,
                                                   std::ostream& err);

}  // namespace clausegate::cli
