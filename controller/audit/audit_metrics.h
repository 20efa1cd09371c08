#pragma once
// What the background audit exposes on /metrics: whether this replica leads, how
// the runs went (duration, objects, last success) and what the last complete run
// found: violating objects by policy, rule and clause. Passed in, never global.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "report/check_report.h"

namespace clausegate::audit {

// The findings of one run, counted as objects are judged; handed to the metrics
// when the run completes, so that a scrape never sees half a run.
class ViolationCounts {
 public:
  void Add(const report::CheckedObject& r);
  // policy, rule and clause id -> violating objects. Series are bounded by the
  // policy set (rules x clauses), not by the cluster.
  const std::map<std::string, uint64_t>& by_labels() const { return counts_; }

 private:
  std::map<std::string, uint64_t> counts_;
};

struct RunFigures {
  double seconds = 0;
  uint64_t objects = 0;
  uint64_t problems = 0;
  uint64_t reports_applied = 0, reports_unchanged = 0, reports_deleted = 0, reports_failed = 0;
};

class AuditMetrics {
 public:
  void SetLeading(bool leading);
  // A run that judged everything and wrote its reports; the time is Unix seconds.
  void Succeeded(const RunFigures& figures, ViolationCounts counts, int64_t finished_at);
  void Failed(const RunFigures& figures);  // could not list, or could not write the reports
  void Cancelled();                        // stopped leading during the run

  std::string Render() const;

 private:
  void Record(const RunFigures& figures);  // under mu_

  mutable std::mutex mu_;
  bool leading_ = false;
  uint64_t succeeded_ = 0, failed_ = 0, cancelled_ = 0;
  RunFigures last_;
  uint64_t applied_ = 0, unchanged_ = 0, deleted_ = 0, write_failures_ = 0;
  int64_t last_success_ = 0;
  ViolationCounts violations_;
};

}  // namespace clausegate::audit
