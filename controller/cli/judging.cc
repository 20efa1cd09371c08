#include "cli/judging.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>

#include "cli/load_options.h"
#include "common/digest.h"
#include "policy/loader.h"
#include "policy/resource_check.h"
#include "report/compliance_report.h"

namespace clausegate::cli {

namespace {

std::string SetDigest(const std::set<std::string>& files, const std::string& more) {
  Sha256 digest;
  digest.Update(more);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    digest.Update(f + "\n" + std::to_string(text.size()) + "\n");
    digest.Update(text);
  }
  return digest.Hex();
}

}  // namespace

std::optional<JudgingSet> LoadJudgingSet(std::string_view command, const std::vector<std::string>& paths,
                                         const std::string& selector, const LoadFlags& load_flags,
                                         std::ostream& err, const MorePoliciesSource& more) {
  std::string sel_error;
  auto parsed = policy::ParseLabelSelector(selector, &sel_error);
  if (!parsed) {
    err << "clausegate " << command << ": " << sel_error << "\n";
    return std::nullopt;
  }
  auto load_options = ReadLoadOptions(command, load_flags, err);
  if (!load_options) return std::nullopt;
  // No paths: the shipped catalogues alone, for what `more` gives.
  policy::LoadResult loaded =
      paths.empty() ? policy::LoadPolicies({}, *load_options) : policy::LoadPolicyPaths(paths, *load_options);
  if (!loaded.ok()) {
    for (const auto& i : loaded.issues) err << i.ToString() << "\n";
    err << "clausegate " << command << ": the policy set has " << loaded.issues.size()
        << " problem(s); nothing was checked\n";
    return std::nullopt;
  }
  std::string more_digest;
  if (more) {
    auto extra = more(*load_options);
    if (!extra) return std::nullopt;
    for (const auto& name : policy::JoinResourcePolicies(&loaded.policies, extra->policies)) {
      err << "clausegate " << command << ": CompliancePolicy/" << name
          << " is left out: a policy of that name is loaded from a file\n";
    }
    for (auto& e : extra->exceptions) loaded.exceptions.push_back(std::move(e));
    more_digest = std::move(extra->digest_input);
  }
  if (paths.empty() && loaded.policies.empty()) {
    err << "clausegate " << command << ": no policies to judge with: give -p POLICIES\n";
    return std::nullopt;
  }
  policy::KeepSelected(&loaded, *parsed);
  std::set<std::string> files;
  for (const auto& p : loaded.policies) if (!p.origin.cluster) files.insert(p.origin.file);
  for (const auto& e : loaded.exceptions) if (!e.origin.cluster) files.insert(e.origin.file);
  JudgingSet out;
  out.digest = SetDigest(files, more_digest);
  out.catalogues = std::move(loaded.catalogues);
  out.set = std::make_unique<engine::PolicySet>(std::move(loaded.policies), std::move(loaded.exceptions), *load_options);
  return out;
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
  for (const char* f : {"text", "json", "junit", "sarif", "policyreport", "markdown", "html"}) {
    if (format == f) return true;
  }
  err << "clausegate " << command << ": output format \"" << format
      << "\" is not one of text, json, junit, sarif, policyreport, markdown, html\n";
  return false;
}

std::unique_ptr<report::CheckWriter> MakeReportWriter(const std::string& format, std::ostream& out, bool colour,
                                                      const JudgingSet& judging, const clausegate::Timestamp& now,
                                                      const std::string& source) {
  if (format == "markdown" || format == "html") {
    report::ComplianceContext context;
    context.catalogues = &judging.catalogues;
    context.set = judging.set.get();
    context.now = now;
    context.digest = judging.digest;
    context.source = source;
    context.version = CLAUSEGATE_VERSION;
    return report::MakeComplianceWriter(format, out, std::move(context));
  }
  return report::MakeCheckWriter(format, out, colour, CLAUSEGATE_VERSION, now.seconds);
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
