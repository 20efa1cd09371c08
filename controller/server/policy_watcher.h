#pragma once
// Reloads the policy files when they change (inotify; a mounted ConfigMap swaps a
// `..data` symlink, which shows as a rename in the directory). They are compiled on
// this thread, off the request path, and handed on whole (PolicyComposer); a set
// that fails is rejected and the last good one keeps serving.

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/source_position.h"
#include "server/policy_store.h"

namespace clausegate::server {

// Loads the files and hands a good set on; returns its problems (empty: handed on).
using PolicyLoader = std::function<std::vector<Issue>()>;

class PolicyWatcher {
 public:
  PolicyWatcher(std::vector<std::string> paths, PolicyStore& store, PolicyLoader loader, std::ostream& log);
  ~PolicyWatcher();

  // Starts watching; false with a reason when inotify is not available.
  bool Start(std::string* error);
  void Stop();
  // Loads now (also what a change triggers); true when the new set was swapped in.
  bool Reload();

 private:
  void Run();
  void WatchTree();
  // Reads pending events; true if any concerns the policies (events on other
  // files beside a watched file are ignored).
  bool DrainEvents();

  // Per watch: a policy directory (every event counts) or the directory of a
  // policy file (only events on those file names count).
  struct WatchInfo {
    bool whole_directory = false;
    std::set<std::string> files;
  };
  std::map<int, WatchInfo> watches_;
  std::vector<std::string> paths_;
  PolicyStore& store_;
  PolicyLoader loader_;
  std::ostream& log_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace clausegate::server
