#pragma once
// A collection of the API server kept current, as client-go's reflector keeps it:
// LIST (in pages), then WATCH from the list's resourceVersion, resuming from the
// last version seen when a watch ends, listing again on 410 Gone, backing off on
// errors. What was listed and what changes go to the handlers, on this object's
// own thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/kube_client.h"

namespace clausegate::kube {

struct ListWatchHandlers {
  // Every item of a complete LIST: it replaces whatever was known before.
  std::function<void(std::vector<nlohmann::json> items)> listed;
  // ADDED, MODIFIED or DELETED, with the object.
  std::function<void(const std::string& type, const nlohmann::json& object)> changed;
  // A LIST that failed with this HTTP status (0: no answer); 404 means that the
  // resource does not exist (a CRD not installed). Retried with backoff.
  std::function<void(int status)> list_failed;
};

struct ListWatchOptions {
  std::string path;  // the collection: "/api/v1/namespaces"
  std::string what;  // for the log: "namespace"
  int page_size = 500;
  int watch_timeout_seconds = 290;  // ended by the server before the client's read timeout
  int max_backoff_ms = 30000;
};

class ListWatch {
 public:
  ListWatch(KubeConfig config, ListWatchOptions options, ListWatchHandlers handlers, std::ostream& log);
  ~ListWatch();

  void Start();
  void Stop();
  bool synced() const { return synced_.load(); }  // a LIST has completed
  uint64_t relists() const { return relists_.load(); }

 private:
  void Run();
  bool List(std::string* resource_version);
  // Returns false when the watch must restart from a new LIST (410 Gone).
  bool Watch(std::string* resource_version);
  bool Wait(int ms);  // false once stopping
  bool Deliver(const std::function<void()>& call);  // false when the handler threw

  KubeConfig config_;
  ListWatchOptions options_;
  ListWatchHandlers handlers_;
  std::ostream& log_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> relists_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  std::mutex client_mu_;
  httplib::ClientImpl* watching_ = nullptr;  // the watch in flight, for Stop()
  std::thread thread_;
};

}  // namespace clausegate::kube
