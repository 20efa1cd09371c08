#pragma once
// Namespace labels from the API server, kept current with LIST + WATCH so that
// namespaceSelector works in the cluster: resumes a watch from its
// resourceVersion, lists again on 410 Gone, and backs off on errors.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>

#include "engine/engine.h"
#include "json/document.h"
#include "kube/kube_client.h"

namespace clausegate::server {

using NamespaceLabels = engine::NamespaceIndex;

class NamespaceCache {
 public:
  NamespaceCache(kube::KubeConfig config, std::ostream& log);
  ~NamespaceCache();

  void Start();
  void Stop();
  // The current labels of every namespace; never null once constructed.
  std::shared_ptr<const NamespaceLabels> Snapshot() const;
  bool synced() const { return synced_.load(); }
  uint64_t relists() const { return relists_.load(); }

 private:
  void Run();
  bool List(std::string* resource_version);
  // Returns false when the watch must restart from a new LIST (410 Gone).
  bool Watch(std::string* resource_version);
  void Apply(const std::string& type, const std::string& object_json, std::string* resource_version);
  bool Wait(int ms);  // false once stopping

  engine::NamespaceInfo Info(const nlohmann::json& object);

  kube::KubeConfig config_;
  std::ostream& log_;
  json::Decoder decoder_;  // used by the cache's own thread only
  mutable std::mutex mu_;
  std::shared_ptr<const NamespaceLabels> labels_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> relists_{0};
  std::condition_variable wake_;
  std::mutex client_mu_;
  httplib::ClientImpl* watching_ = nullptr;  // the watch in flight, for Stop()
  std::thread thread_;
};

}  // namespace clausegate::server
