#pragma once
// wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace (a ClusterPolicyReport
// for cluster-scoped objects and input problems), built as objects are judged.
// Each report keeps at most `max_results` results, violations before passes, in
// the order they came; its summary always counts every result, and the number
// left out is the annotation clausegate.io/results-omitted. So a report stays far
// under etcd's object size limit (1.5 MiB) and memory follows namespaces, not objects.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/check_report.h"

namespace clausegate::report {

inline constexpr size_t kPolicyReportResults = 500;

class PolicyReportBuilder {
 public:
  explicit PolicyReportBuilder(int64_t timestamp_seconds, size_t max_results = kPolicyReportResults)
      : timestamp_seconds_(timestamp_seconds), max_results_(max_results) {}

  void Add(const CheckedObject& r);
  void AddProblem(const InputProblem& p);

  // Every report, by namespace ("" first: the cluster report), one at a time.
  void ForEachReport(const std::function<void(const std::string& ns, const nlohmann::json& report)>& f) const;

 private:
  struct Entry {
    size_t seq;
    std::string result;  // as JSON text: a tenth of the memory of the tree
  };
  struct Report {
    std::map<std::string, int64_t> summary;
    // Violations at most max_results_; passes only while there is room beside them.
    std::vector<Entry> violations, passes;
    size_t omitted = 0;                     // results beyond the caps
  };
  void Keep(Report& report, bool pass, nlohmann::json result);
  bool Room(const Report& report, bool pass) const;

  int64_t timestamp_seconds_;
  size_t max_results_;
  size_t seq_ = 0;
  std::map<std::string, Report> reports_;
};

}  // namespace clausegate::report
