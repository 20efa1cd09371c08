#pragma once
// The audit `serve` runs while this replica holds the audit Lease: at once when it
// starts leading, then every interval, judging the cluster with the policy set in
// force at the start of each run and writing the PolicyReports; a run that
// fails is tried again sooner, backing off from 10 s to the interval. When the replica
// stops leading (the Lease lost, SIGTERM) a run in progress is cancelled between
// objects and nothing more is written.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "audit/audit_metrics.h"
#include "common/time_util.h"
#include "engine/engine.h"
#include "kube/kube_client.h"
#include "report/policy_report.h"

namespace clausegate::audit {

struct BackgroundAuditOptions {
  std::chrono::milliseconds interval{std::chrono::minutes(10)};
  // After a failed run: the next one this much later, doubling up to the interval.
  std::chrono::milliseconds first_retry{std::chrono::seconds(10)};
  int page_size = 500;
  size_t max_results = report::kPolicyReportResults;  // per report
};

class BackgroundAudit {
 public:
  using PolicySource = std::function<std::shared_ptr<const engine::PolicySet>()>;
  using Clock = std::function<clausegate::Timestamp()>;

  BackgroundAudit(kube::KubeConfig config, BackgroundAuditOptions options, PolicySource policies, Clock clock,
                  AuditMetrics& metrics, std::ostream& log);
  ~BackgroundAudit();

  void Start();
  // From the leader elector: audits run only while leading.
  void SetLeading(bool leading);
  void Stop();

 private:
  void Run();
  bool RunOnce();  // false when it failed (cancelled is not a failure)
  // Until this replica leads; false once stopping. `epoch`: of this turn.
  bool WaitForTurn(uint64_t* epoch);

  kube::KubeConfig config_;
  BackgroundAuditOptions options_;
  PolicySource policies_;
  Clock clock_;
  AuditMetrics& metrics_;
  std::ostream& log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool leading_ = false, stop_ = false;
  uint64_t leading_epoch_ = 0;   // bumped each time leading changes
  std::atomic<bool> cancel_{false};  // read by the run in progress
  std::thread thread_;
};

}  // namespace clausegate::audit
