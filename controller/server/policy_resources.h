#pragma once
// CompliancePolicy and CompliancePolicyException resources of the cluster: both
// kinds kept current (kube::ListWatch), each resource compiled on its own when its
// spec changes, off the request path; those that load go to the PolicyComposer,
// one that does not is left out alone. The replica that leads writes each
// resource's status: Ready (with the field:line:col of what keeps it from loading)
// and observedGeneration; for an exception also `active`, turned off at its expiry.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time_util.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"
#include "policy/loader.h"
#include "server/policy_composer.h"

namespace clausegate::server {

struct PolicyResourcesOptions {
  policy::LoadOptions load;
  std::function<clausegate::Timestamp()> clock;
  // Whether this replica writes status (holds the Lease); null: never.
  std::function<bool()> leading;
  // How often status is compared with what it should be, events or not.
  std::chrono::milliseconds resync{60000};
};

class PolicyResources {
 public:
  PolicyResources(kube::KubeConfig config, PolicyResourcesOptions options, PolicyComposer& composer, std::ostream& log);
  ~PolicyResources();

  void Start();
  void Stop();
  // Both kinds are listed, or known to be absent (no CRDs: 404) or out of reach
  // (403): readiness does not wait on what will not come.
  bool synced() const;
  // Leadership changed or files changed: look at every status again now.
  void Wake();
  uint64_t status_writes() const { return status_writes_.load(); }
  uint64_t compiles() const { return compiles_.load(); }
  // Prometheus text: resources by kind and state, compiles, status writes.
  std::string RenderMetrics() const;

 private:
  struct Entry {
    std::string kind, namespace_name, name;
    int64_t generation = 0;
    std::string fingerprint;  // what the loader reads: unchanged, the entry is not compiled again
    nlohmann::json status;    // as the cluster has it (or as last written)
    std::optional<policy::Policy> policy;
    std::optional<policy::PolicyException> exception;
    std::vector<std::string> problems;
  };
  struct Kind {
    std::string kind, plural;
    std::atomic<bool> settled{false};
  };

  void Listed(Kind& k, std::vector<nlohmann::json> items);
  void Changed(Kind& k, const std::string& type, const nlohmann::json& object);
  void Upsert(const std::string& kind, const nlohmann::json& object);
  void PublishLocked();
  void StatusLoop();
  // The status `e` should have, and whether the cluster's differs from it.
  nlohmann::json DesiredStatus(const Entry& e, clausegate::Timestamp now) const;
  bool WriteStatus(const Entry& e, const nlohmann::json& status);

  kube::KubeConfig config_;
  PolicyResourcesOptions options_;
  PolicyComposer& composer_;
  std::ostream& log_;
  Kind policies_kind_, exceptions_kind_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "KIND/NAMESPACE/NAME"
  std::condition_variable wake_;
  bool dirty_ = true;
  std::string published_;  // the keys and fingerprints of what the composer has
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> status_writes_{0}, compiles_{0};
  std::thread status_thread_;
  std::unique_ptr<kube::ListWatch> policies_, exceptions_;
};

}  // namespace clausegate::server
