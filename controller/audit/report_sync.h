#pragma once
// An audit's PolicyReports into the cluster. Each report is written by server-side
// apply only when its content differs from what is there (a digest of the content,
// result timestamps left out, kept as the annotation clausegate.io/content-digest,
// so an unchanged report keeps the time its results were first seen), and a report
// clausegate wrote before that this audit did not produce (its namespace holds
// nothing judged any more, its policies are gone) is deleted. A namespace that goes
// takes its report with it.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <httplib.h>

#include "common/status.h"
#include "report/policy_report.h"

namespace clausegate::audit {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kDigestAnnotation = "clausegate.io/content-digest";
inline constexpr const char* kFieldManager = "clausegate-audit";

struct SyncStats {
  uint64_t applied = 0, unchanged = 0, deleted = 0, failed = 0;
  std::vector<std::string> errors;  // the first few failures, for the log
};

// Fails only when what is there cannot be read (the CRDs are not installed, no
// permission); a report that cannot be written is counted and the rest go on.
Result<SyncStats> SyncReports(httplib::ClientImpl& client, const report::PolicyReportBuilder& reports,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace clausegate::audit
