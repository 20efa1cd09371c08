#pragma once
// Namespace labels from the API server, kept current with LIST + WATCH
// (kube::ListWatch) so that namespaceSelector and namespaceObject work in the
// cluster.

#include <memory>
#include <mutex>
#include <ostream>

#include <nlohmann/json_fwd.hpp>

#include "engine/engine.h"
#include "json/document.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"

namespace clausegate::server {

using NamespaceLabels = engine::NamespaceIndex;

class NamespaceCache {
 public:
  NamespaceCache(kube::KubeConfig config, std::ostream& log);
  ~NamespaceCache();

  void Start() { watch_.Start(); }
  void Stop() { watch_.Stop(); }
  // The current labels of every namespace; never null once constructed.
  std::shared_ptr<const NamespaceLabels> Snapshot() const;
  bool synced() const { return watch_.synced(); }
  uint64_t relists() const { return watch_.relists(); }

 private:
  engine::NamespaceInfo Info(const nlohmann::json& object);

  json::Decoder decoder_;  // used by the watch's thread only
  mutable std::mutex mu_;
  std::shared_ptr<const NamespaceLabels> labels_;
  kube::ListWatch watch_;  // last: its thread uses the members above
};

}  // namespace clausegate::server
