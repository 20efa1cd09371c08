#include "cli/judging.h"

#include <chrono>
#include <ostream>

#include "cli/load_options.h"
#include "policy/loader.h"

namespace clausegate::cli {

std::unique_ptr<engine::PolicySet> LoadJudgingSet(std::string_view command, const std::vector<std::string>& paths,
                                                  const std::string& selector, const std::string& max_estimated_cost,
                                                  std::ostream& err) {
  std::string sel_error;
  auto parsed = policy::ParseLabelSelector(selector, &sel_error);
  if (!parsed) {
    err << "clausegate " << command << ": " << sel_error << "\n";
    return nullptr;
  }
  auto load_options = ReadLoadOptions(command, max_estimated_cost, err);
  if (!load_options) return nullptr;
  policy::LoadResult loaded = policy::LoadPolicyPaths(paths, *load_options);
  if (!loaded.ok()) {
    for (const auto& i : loaded.issues) err << i.ToString() << "\n";
    err << "clausegate " << command << ": the policy set has " << loaded.issues.size()
        << " problem(s); nothing was checked\n";
    return nullptr;
  }
  policy::KeepSelected(&loaded, *parsed);
  return std::make_unique<engine::PolicySet>(std::move(loaded.policies), std::move(loaded.exceptions));
}

std::optional<clausegate::Timestamp> ReadNow(std::string_view command, const std::string& now, std::ostream& err) {
  if (!now.empty()) {
    auto t = clausegate::ParseTimestamp(now);
    if (!t) err << "clausegate " << command << ": --now \"" << now << "\" is not an RFC 3339 timestamp\n";
    return t;
  }
  clausegate::Timestamp t;
  t.seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return t;
}

bool IsReportFormat(std::string_view command, const std::string& format, std::ostream& err) {
  for (const char* f : {"text", "json", "junit", "sarif", "policyreport"}) {
    if (format == f) return true;
  }
  err << "clausegate " << command << ": output format \"" << format
      << "\" is not one of text, json, junit, sarif, policyreport\n";
  return false;
}

bool IsFailOn(std::string_view command, const std::string& fail_on, std::ostream& err) {
  if (fail_on == "deny" || fail_on == "warn") return true;
  err << "clausegate " << command << ": --fail-on must be deny or warn\n";
  return false;
}

int JudgingExitCode(std::string_view command, const report::CheckSummary& s, const std::string& fail_on,
                    std::string_view unread_what, std::ostream& err) {
  if (s.input_errors > 0) {
    err << "clausegate " << command << ": " << s.input_errors << " " << unread_what
        << " could not be read; everything else was judged\n";
    return 2;
  }
  if (s.denied > 0) return 1;
  if (fail_on == "warn" && s.warnings > 0) return 1;
  return 0;
}

}  // namespace clausegate::cli
