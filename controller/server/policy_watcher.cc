#include "server/policy_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

namespace clausegate::server {

namespace fs = std::filesystem;

PolicyWatcher::PolicyWatcher(std::vector<std::string> paths, PolicyStore& store, PolicyLoader loader, std::ostream& log)
    : paths_(std::move(paths)), store_(store), loader_(std::move(loader)), log_(log) {}

PolicyWatcher::~PolicyWatcher() { Stop(); }

bool PolicyWatcher::Reload() {
  std::vector<Issue> issues = loader_();
  if (issues.empty()) return true;
  std::string first = issues.empty() ? "unknown error" : issues.front().ToString();
  if (issues.size() > 1) first += " (and " + std::to_string(issues.size() - 1) + " more)";
  store_.RecordFailure(first);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& i : issues) all.push_back(i.ToString());
  log_ << nlohmann::json{{"msg", "policy set rejected; the last good set keeps serving"},
                         {"generation", store_.Current().generation}, {"problems", all}}
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
       << "\n" << std::flush;
  return false;
}

// Watches every directory under the paths (and the parents of plain files), so
// that edits, new files and symlink swaps all wake the watcher.
void PolicyWatcher::WatchTree() {
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                             IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  auto watch = [&](const fs::path& dir, const std::string& file) {
    int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
    if (wd < 0) return;
    WatchInfo& info = watches_[wd];
    if (file.empty()) info.whole_directory = true;
    else info.files.insert(file);
  };
  for (const auto& p : paths_) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      fs::path f(p);
      watch(f.has_parent_path() ? f.parent_path() : fs::path("."), f.filename().string());
      continue;
    }
    watch(p, "");
    for (fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->is_directory(ec)) watch(it->path(), "");
    }
  }
}

bool PolicyWatcher::DrainEvents() {
  alignas(inotify_event) char buf[16 * 1024];
  bool relevant = false;
  ssize_t n;
  while ((n = read(inotify_fd_, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(p);
      auto it = watches_.find(ev->wd);
      if (it == watches_.end() || it->second.whole_directory || (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))) {
        relevant = true;
      } else if (ev->len > 0 && it->second.files.count(ev->name)) {
        relevant = true;
      }
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return relevant;
}

bool PolicyWatcher::Start(std::string* error) {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0) {
    *error = "cannot watch the policy directory (inotify unavailable)";
    return false;
  }
  WatchTree();
  thread_ = std::thread([this] { Run(); });
  return true;
}

void PolicyWatcher::Run() {
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    bool relevant = DrainEvents();
    // Wait for the burst of events of one change to settle.
    pollfd settle[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (poll(settle, 2, 200) > 0) {
      if (settle[1].revents) return;
      relevant |= DrainEvents();
    }
    if (!relevant) continue;
    // New directories (a new ConfigMap revision) need watches too.
    WatchTree();
    Reload();
  }
}

void PolicyWatcher::Stop() {
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

}  // namespace clausegate::server
