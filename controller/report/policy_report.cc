#include "report/policy_report.h"

#include <algorithm>

namespace clausegate::report {

void PolicyReportBuilder::Keep(Report& report, bool pass, nlohmann::json result) {
  auto& list = pass ? report.passes : report.violations;
  if (!Room(report, pass)) {
    ++report.omitted;
    return;
  }
  list.push_back({seq_++, result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

bool PolicyReportBuilder::Room(const Report& report, bool pass) const {
  if (!pass) return report.violations.size() < max_results_;
  // A pass is kept only while violations leave room for it in the report.
  return report.violations.size() + report.passes.size() < max_results_;
}

void PolicyReportBuilder::AddProblem(const InputProblem& p) {
  // Input problems belong to no namespace: results of the cluster report, with the
  // file and position as properties and no resource.
  bool error = p.severity == InputProblem::Severity::kError;
  Report& report = reports_[""];
  ++report.summary[error ? "error" : "warn"];
  Keep(report, false,
       {{"source", "clausegate"},
        {"policy", "clausegate-input"},
        {"rule", error ? "readable" : "well-formed"},
        {"result", error ? "error" : "warn"},
        {"scored", false},
        {"message", p.issue.ToString()},
        {"timestamp", {{"seconds", timestamp_seconds_}, {"nanos", 0}}},
        {"properties",
         {{"file", p.issue.file},
          {"line", std::to_string(p.issue.position.line)},
          {"column", std::to_string(p.issue.position.column)}}}});
}

void PolicyReportBuilder::Add(const CheckedObject& r) {
  using json = nlohmann::json;
  if (r.decision.results.empty()) return;  // nothing to say of it: no report for it alone
  const std::string& ns = r.object.namespace_name;
  Report& report = reports_[ns];
  for (const auto& rr : r.decision.results) {
    std::string verdict = Verdict(rr);
    std::string result = verdict == "PASS" ? "pass" : verdict == "DENY" ? "fail" : verdict == "WARN" ? "warn"
                         : verdict == "IGNORED" ? "error" : "skip";
    if (verdict == "AUDIT") result = "warn";
    ++report.summary[result];
    bool pass = result == "pass";
    if (!Room(report, pass)) {  // counted, not kept: no need to build it
      ++report.omitted;
      continue;
    }
    std::string ids;
    for (const auto& c : Clauses(rr)) ids += (ids.empty() ? "" : ",") + c.id;
    json resource = {{"apiVersion", r.object.api_version}, {"kind", r.object.kind}, {"name", r.object.name}};
    if (!ns.empty()) resource["namespace"] = ns;
    json entry = {{"source", "clausegate"},
                  {"policy", rr.policy->name},
                  {"rule", rr.rule ? rr.rule->name : "matchConditions"},
                  {"result", result},
                  {"severity", policy::ToString(rr.policy->severity)},
                  {"scored", true},
                  {"category", engine::RenderClauses(Clauses(rr))},
                  {"timestamp", {{"seconds", timestamp_seconds_}, {"nanos", 0}}},
                  {"resources", json::array({resource})},
                  {"properties", {{"controls", ids}}}};
    if (rr.exception) {
      entry["properties"]["exception"] = rr.exception->name;
      if (!rr.exception->ticket.empty()) entry["properties"]["ticket"] = rr.exception->ticket;
    }
    if (!rr.message.empty()) entry["message"] = rr.message;
    Keep(report, pass, std::move(entry));
  }
}

void PolicyReportBuilder::ForEachReport(
    const std::function<void(const std::string& ns, const nlohmann::json& report)>& f) const {
  using json = nlohmann::json;
  for (const auto& [ns, report] : reports_) {
    // Violations first when the cap bites; then back in the order they came.
    std::vector<const Entry*> kept;
    for (const auto& e : report.violations) kept.push_back(&e);
    size_t room = max_results_ > kept.size() ? max_results_ - kept.size() : 0;
    size_t passes_left_out = report.passes.size() > room ? report.passes.size() - room : 0;
    for (size_t i = 0; i < report.passes.size() && i < room; ++i) kept.push_back(&report.passes[i]);
    std::sort(kept.begin(), kept.end(), [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
    json results = json::array();
    for (const Entry* e : kept) results.push_back(nlohmann::json::parse(e->result));
    const auto& summary = report.summary;  // a structured binding cannot be captured (C++20, clang 14)
    auto count = [&summary](const char* k) {
      auto it = summary.find(k);
      return it == summary.end() ? int64_t{0} : it->second;
    };
    json metadata = ns.empty() ? json{{"name", "clausegate-cluster"}} : json{{"name", "clausegate-" + ns}, {"namespace", ns}};
    size_t omitted = report.omitted + passes_left_out;
    if (omitted > 0) {
      metadata["annotations"] = {{"clausegate.io/results-omitted", std::to_string(omitted)},
                                 {"clausegate.io/results-limit", std::to_string(max_results_)}};
    }
    f(ns, json{{"apiVersion", "wgpolicyk8s.io/v1alpha2"},
               {"kind", ns.empty() ? "ClusterPolicyReport" : "PolicyReport"},
               {"metadata", metadata},
               {"summary",
                {{"pass", count("pass")}, {"fail", count("fail")}, {"warn", count("warn")}, {"error", count("error")},
                 {"skip", count("skip")}}},
               {"results", results}});
  }
}

}  // namespace clausegate::report
