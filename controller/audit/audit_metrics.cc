#include "audit/audit_metrics.h"

#include <sstream>
#include <utility>

#include "common/prometheus.h"

namespace clausegate::audit {

void ViolationCounts::Add(const report::CheckedObject& r) {
  for (const auto& rr : r.decision.results) {
    if (rr.outcome != engine::Outcome::kFail && rr.outcome != engine::Outcome::kError) continue;
    std::string base = "policy=\"" + PrometheusEscape(rr.policy->name) + "\",rule=\"" +
                       PrometheusEscape(rr.rule ? rr.rule->name : "matchConditions") + "\",clause=\"";
    const auto& clauses = report::Clauses(rr);
    if (clauses.empty()) ++counts_[base + "\""];
    for (const auto& c : clauses) ++counts_[base + PrometheusEscape(c.id) + "\""];
  }
}

void AuditMetrics::SetLeading(bool leading) {
  std::lock_guard<std::mutex> lock(mu_);
  leading_ = leading;
}

void AuditMetrics::Record(const RunFigures& figures) {
  last_ = figures;
  applied_ += figures.reports_applied;
  unchanged_ += figures.reports_unchanged;
  deleted_ += figures.reports_deleted;
  write_failures_ += figures.reports_failed;
}

void AuditMetrics::Succeeded(const RunFigures& figures, ViolationCounts counts, int64_t finished_at) {
  std::lock_guard<std::mutex> lock(mu_);
  ++succeeded_;
  Record(figures);
  last_success_ = finished_at;
  violations_ = std::move(counts);
}

void AuditMetrics::Failed(const RunFigures& figures) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failed_;
  Record(figures);
}

void AuditMetrics::Cancelled() {
  std::lock_guard<std::mutex> lock(mu_);
  ++cancelled_;
}

std::string AuditMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  out << "# HELP clausegate_audit_leader 1 while this replica holds the audit Lease and audits.\n"
      << "# TYPE clausegate_audit_leader gauge\n"
      << "clausegate_audit_leader " << (leading_ ? 1 : 0) << "\n"
      << "# HELP clausegate_audit_runs_total Background audits, by result.\n"
      << "# TYPE clausegate_audit_runs_total counter\n"
      << "clausegate_audit_runs_total{result=\"success\"} " << succeeded_ << "\n"
      << "clausegate_audit_runs_total{result=\"failure\"} " << failed_ << "\n"
      << "clausegate_audit_runs_total{result=\"cancelled\"} " << cancelled_ << "\n"
      << "# HELP clausegate_audit_duration_seconds How long the last audit took, listing to reports written.\n"
      << "# TYPE clausegate_audit_duration_seconds gauge\n"
      << "clausegate_audit_duration_seconds " << last_.seconds << "\n"
      << "# HELP clausegate_audit_objects Objects judged by the last audit.\n"
      << "# TYPE clausegate_audit_objects gauge\n"
      << "clausegate_audit_objects " << last_.objects << "\n"
      << "# HELP clausegate_audit_problems Resources the last audit could not list, and groups not discovered.\n"
      << "# TYPE clausegate_audit_problems gauge\n"
      << "clausegate_audit_problems " << last_.problems << "\n"
      << "# HELP clausegate_audit_last_success_timestamp_seconds When the last complete audit finished (Unix time).\n"
      << "# TYPE clausegate_audit_last_success_timestamp_seconds gauge\n"
      << "clausegate_audit_last_success_timestamp_seconds " << last_success_ << "\n"
      << "# HELP clausegate_audit_reports_total PolicyReports written, left as they were, deleted, or failed to write.\n"
      << "# TYPE clausegate_audit_reports_total counter\n"
      << "clausegate_audit_reports_total{action=\"applied\"} " << applied_ << "\n"
      << "clausegate_audit_reports_total{action=\"unchanged\"} " << unchanged_ << "\n"
      << "clausegate_audit_reports_total{action=\"deleted\"} " << deleted_ << "\n"
      << "clausegate_audit_reports_total{action=\"failed\"} " << write_failures_ << "\n"
      << "# HELP clausegate_audit_violating_objects Objects violating a rule in the last complete audit, by policy, "
         "rule and clause.\n"
      << "# TYPE clausegate_audit_violating_objects gauge\n";
  for (const auto& [labels, n] : violations_.by_labels()) {
    out << "clausegate_audit_violating_objects{" << labels << "} " << n << "\n";
  }
  return out.str();
}

}  // namespace clausegate::audit
