#pragma once
// What already runs, judged: every object of every resource a policy set may
// judge, listed from the API server page by page (one page in memory at a time)
// and judged as its creation would be, with namespaces and namespaceObject from
// the cluster. `clausegate audit` and the background audit of `serve` are this.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <httplib.h>

#include "common/status.h"
#include "common/time_util.h"
#include "engine/engine.h"
#include "report/check_report.h"

namespace clausegate::audit {

struct AuditScope {
  std::string namespace_name;   // only this namespace; cluster-scoped resources are left out
  std::string object_selector;  // kubectl syntax, passed to the API server
  int page_size = 500;          // objects per LIST page, as kubectl
  // Set by another thread to stop early (the result then says cancelled).
  const std::atomic<bool>* cancel = nullptr;
};

struct AuditSink {
  std::function<void(report::CheckedObject)> on_result;
  std::function<void(report::InputProblem)> on_problem;
};

struct AuditStats {
  uint64_t objects = 0;    // judged
  uint64_t resources = 0;  // listed (Namespaces included)
  uint64_t problems = 0;   // resources that could not be listed, groups not discovered
  bool cancelled = false;
};

// Only a failure to read the API's group list ends the audit with a Status; a
// resource that cannot be listed, or an aggregated group that is down, is a problem
// handed to the sink and the rest is still judged.
Result<AuditStats> RunAudit(httplib::ClientImpl& client, const engine::PolicySet& set, const AuditScope& scope,
                            const clausegate::Timestamp& now, const AuditSink& sink);

}  // namespace clausegate::audit
