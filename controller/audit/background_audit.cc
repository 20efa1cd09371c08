#include "audit/background_audit.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "audit/cluster_audit.h"
#include "audit/report_sync.h"

namespace clausegate::audit {

BackgroundAudit::BackgroundAudit(kube::KubeConfig config, BackgroundAuditOptions options, PolicySource policies,
                                 Clock clock, AuditMetrics& metrics, std::ostream& log)
    : config_(std::move(config)),
      options_(options),
      policies_(std::move(policies)),
      clock_(std::move(clock)),
      metrics_(metrics),
      log_(log) {}

BackgroundAudit::~BackgroundAudit() { Stop(); }

void BackgroundAudit::Start() { thread_ = std::thread([this] { Run(); }); }

void BackgroundAudit::SetLeading(bool leading) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (leading_ == leading) return;
    leading_ = leading;
    ++leading_epoch_;
    cancel_.store(!leading);
  }
  metrics_.SetLeading(leading);
  wake_.notify_all();
}

void BackgroundAudit::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackgroundAudit::WaitForTurn(uint64_t* epoch) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_ && !leading_) wake_.wait(lock);
  *epoch = leading_epoch_;
  cancel_.store(stop_);  // under the lock: a SetLeading(false) after this cancels the run
  return !stop_;
}

void BackgroundAudit::Run() {
  uint64_t epoch = 0;
  std::chrono::milliseconds retry = options_.first_retry;
  while (WaitForTurn(&epoch)) {
    // A failed run (the CRDs installed a moment ago, the API server busy) is tried
    // again sooner than the interval, backing off.
    std::chrono::milliseconds wait = options_.interval;
    if (RunOnce()) {
      retry = options_.first_retry;
    } else {
      wait = std::min(wait, retry);
      retry = std::min(options_.interval, retry * 2);
    }
    // The interval, unless leading changes meanwhile (a new leader audits at once).
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, wait, [&] { return stop_ || leading_epoch_ != epoch; });
  }
}

bool BackgroundAudit::RunOnce() {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const engine::PolicySet> set = policies_();  // pinned for the whole run
  clausegate::Timestamp now = clock_();
  auto client = kube::MakeKubeClient(config_);
  client->set_connection_timeout(10);
  client->set_read_timeout(60);
  client->set_write_timeout(60);

  report::PolicyReportBuilder reports(now.seconds, options_.max_results);
  ViolationCounts counts;
  AuditSink sink;
  sink.on_result = [&](report::CheckedObject r) {
    counts.Add(r);
    reports.Add(r);
  };
  std::vector<std::string> problems;
  sink.on_problem = [&](report::InputProblem p) {
    if (problems.size() < 5) problems.push_back(p.issue.message);
    reports.AddProblem(p);
  };
  AuditScope scope;
  scope.page_size = options_.page_size;
  scope.cancel = &cancel_;
  RunFigures figures;
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  auto log = [&](const char* msg, nlohmann::json fields) {
    fields["msg"] = msg;
    log_ << (fields.dump() + "\n") << std::flush;  // one write per line
  };
  auto audited = RunAudit(*client, *set, scope, now, sink);
  if (!audited.ok()) {
    figures.seconds = seconds();
    metrics_.Failed(figures);
    log("audit failed", {{"error", audited.status().message()}});
    return false;
  }
  figures.objects = audited->objects;
  figures.problems = audited->problems;
  if (audited->cancelled) {
    metrics_.Cancelled();
    log("audit cancelled", {{"objects", figures.objects}});
    return true;
  }
  auto synced = SyncReports(*client, reports, &cancel_);
  figures.seconds = seconds();
  if (!synced.ok()) {
    metrics_.Failed(figures);
    log("audit failed", {{"error", synced.status().message()}, {"objects", figures.objects}});
    return false;
  }
  if (cancel_.load()) {
    metrics_.Cancelled();
    log("audit cancelled", {{"objects", figures.objects}});
    return true;
  }
  figures.reports_applied = synced->applied;
  figures.reports_unchanged = synced->unchanged;
  figures.reports_deleted = synced->deleted;
  figures.reports_failed = synced->failed;
  nlohmann::json fields = {{"objects", figures.objects},
                           {"seconds", figures.seconds},
                           {"reports", {{"applied", synced->applied}, {"unchanged", synced->unchanged},
                                        {"deleted", synced->deleted}, {"failed", synced->failed}}}};
  if (!problems.empty()) fields["problems"] = problems;
  if (!synced->errors.empty()) fields["errors"] = synced->errors;
  if (synced->failed > 0) {
    metrics_.Failed(figures);
    log("audit failed", fields);
    return false;
  }
  metrics_.Succeeded(figures, std::move(counts), clock_().seconds);
  log("audit", fields);
  return true;
}

}  // namespace clausegate::audit
