#pragma once
// What `check` and `audit` share around the engine: the policy set they judge
// with, the evaluation time, the report format and the exit code, read one way.

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/load_options.h"
#include "common/time_util.h"
#include "engine/engine.h"
#include "report/check_report.h"
#include "policy/model.h"

namespace clausegate::cli {

// Each of these prints "clausegate COMMAND: ..." to `err` when it fails.

struct JudgingSet {
  std::unique_ptr<engine::PolicySet> set;
  std::vector<policy::Catalogue> catalogues;
  // sha256 of the files the kept policies and exceptions come from (paths and
  // contents, in path order): which policy set a report was made with.
  std::string digest;
};

// Policies and exceptions from beyond the files (for audit: the cluster's
// resources), loaded with the files' options; nullopt when they could not be read
// (the source said why).
struct MorePolicies {
  std::vector<policy::Policy> policies;
  std::vector<policy::PolicyException> exceptions;
  std::string digest_input;  // what they were loaded from, for the set's digest
};
using MorePoliciesSource = std::function<std::optional<MorePolicies>(const policy::LoadOptions&)>;

// The policies at `paths` (any problem rejects the set, with its positions) and
// those `more` gives (one named as a file's is left out, with a remark), only those
// whose labels match `selector`; loaded as `load_flags` say. With no `paths`,
// `more` must give at least one policy.
std::optional<JudgingSet> LoadJudgingSet(std::string_view command, const std::vector<std::string>& paths,
                                         const std::string& selector, const LoadFlags& load_flags,
                                         std::ostream& err, const MorePoliciesSource& more = nullptr);
// --now as RFC 3339, or the clock when empty.
std::optional<clausegate::Timestamp> ReadNow(std::string_view command, const std::string& now, std::ostream& err);
// text, json, junit, sarif, policyreport, markdown or html.
bool IsReportFormat(std::string_view command, const std::string& format, std::ostream& err);
// The writer of a report format; `source` says what was judged (for the compliance
// report: "cluster https://...", "manifests").
std::unique_ptr<report::CheckWriter> MakeReportWriter(const std::string& format, std::ostream& out, bool colour,
                                                      const JudgingSet& judging, const clausegate::Timestamp& now,
                                                      const std::string& source);
// --fail-on deny|warn.
bool IsFailOn(std::string_view command, const std::string& fail_on, std::ostream& err);
// 2 when input could not be read, 1 on denials (or warnings with --fail-on warn), else 0.
int JudgingExitCode(std::string_view command, const report::CheckSummary& summary, const std::string& fail_on,
                    std::string_view unread_what, std::ostream& err);

}  // namespace clausegate::cli
