#pragma once
// The compliance report for people (an auditor): per control of the loaded
// catalogues, its state in what was judged (enforced with no violation,
// violations, waived, no rule, not enforceable by admission), the rules that
// enforce it, the violating objects with the message, and the exceptions in force
// or expired. Markdown, or one self-contained printable HTML file.
//
// Memory stays bounded however many objects are judged: counts are complete, the
// objects listed per control are capped (kListedPerControl).

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "policy/model.h"
#include "report/check_report.h"

namespace clausegate::report {

inline constexpr size_t kListedPerControl = 25;

struct ComplianceContext {
  const std::vector<policy::Catalogue>* catalogues = nullptr;
  const engine::PolicySet* set = nullptr;
  clausegate::Timestamp now;
  std::string digest;   // of the policy set: "sha256:..."
  std::string source;   // what was judged: "cluster https://10.0.0.1:443", "manifests"
  std::string version;  // of clausegate
};

// format: markdown or html; null for another format.
std::unique_ptr<CheckWriter> MakeComplianceWriter(const std::string& format, std::ostream& out, ComplianceContext context);

}  // namespace clausegate::report
