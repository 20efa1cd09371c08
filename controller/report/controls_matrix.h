#pragma once
// The compliance matrix: every clause of the loaded catalogues, how far
// admission control can enforce it, and the policy rules that do.

#include <iosfwd>
#include <string>
#include <vector>

#include "policy/model.h"

namespace clausegate::report {

struct MatrixRow {
  const policy::Catalogue* catalogue;
  const policy::Control* control;
  std::vector<std::string> rules;  // "policy/rule", in policy order
};

std::vector<MatrixRow> BuildMatrix(const std::vector<policy::Catalogue>& catalogues,
                                   const std::vector<policy::Policy>& policies);

// format: text, markdown, json, csv. `uncovered_only`: enforceable clauses with
// no rule.
bool WriteMatrix(std::ostream& out, const std::vector<MatrixRow>& rows, const std::string& format, bool uncovered_only);

}  // namespace clausegate::report
