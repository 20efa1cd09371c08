#include "kube/list_watch.h"

#include <algorithm>

#include <httplib.h>

namespace clausegate::kube {

ListWatch::ListWatch(KubeConfig config, ListWatchOptions options, ListWatchHandlers handlers, std::ostream& log)
    : config_(std::move(config)), options_(std::move(options)), handlers_(std::move(handlers)), log_(log) {}

ListWatch::~ListWatch() { Stop(); }

void ListWatch::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ListWatch::Stop() {
  stop_.store(true);
  wake_.notify_all();
  {
    std::lock_guard<std::mutex> lock(client_mu_);
    if (watching_) watching_->stop();
  }
  if (thread_.joinable()) thread_.join();
}

bool ListWatch::Wait(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_.load();
}

bool ListWatch::Deliver(const std::function<void()>& call) {
  // What the API server sends is untrusted: a handler that trips over an object's
  // shape costs that object, never the process.
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    log_ << nlohmann::json{{"msg", options_.what + " object not handled"}, {"error", e.what()}}.dump() << "\n" << std::flush;
    return false;
  }
}

bool ListWatch::List(std::string* resource_version) {
  auto client = MakeKubeClient(config_);
  std::vector<nlohmann::json> items;
  std::string next;
  const char sep = options_.path.find('?') == std::string::npos ? '?' : '&';
  // Bounded: a continue token that never ends is the server's fault, not a reason to spin.
  for (int page = 0; page < 100000 && !stop_.load(); ++page) {
    std::string path = options_.path + sep + "limit=" + std::to_string(options_.page_size);
    if (!next.empty()) path += "&continue=" + httplib::detail::encode_query_param(next);
    auto res = client->Get(path);
    if (!res || res->status != 200) {
      int status = res ? res->status : 0;
      if (status == 410 && !next.empty()) {
        next.clear();  // the continue token expired: start the list over
        items.clear();
        continue;
      }
      log_ << nlohmann::json{{"msg", options_.what + " list failed"}, {"status", status}}.dump() << "\n" << std::flush;
      if (handlers_.list_failed) handlers_.list_failed(status);
      return false;
    }
    auto doc = nlohmann::json::parse(res->body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("items") || !doc["items"].is_array()) {
      if (handlers_.list_failed) handlers_.list_failed(res->status);
      return false;
    }
    for (auto& item : doc["items"]) items.push_back(std::move(item));
    *resource_version = doc.value("/metadata/resourceVersion"_json_pointer, std::string());
    next = doc.value("/metadata/continue"_json_pointer, std::string());
    if (next.empty()) break;
  }
  if (stop_.load()) return false;
  if (!Deliver([&] { handlers_.listed(std::move(items)); })) return false;
  ++relists_;
  synced_.store(true);
  return true;
}

bool ListWatch::Watch(std::string* resource_version) {
  auto client = MakeKubeClient(config_);
  {
    // Stop() shuts this client's socket: a watch is a long poll that would otherwise
    // hold the shutdown until the API server ends it.
    std::lock_guard<std::mutex> lock(client_mu_);
    if (stop_.load()) return true;
    watching_ = client.get();
  }
  const char sep = options_.path.find('?') == std::string::npos ? '?' : '&';
  std::string path = options_.path + sep + "watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                     std::to_string(options_.watch_timeout_seconds) + "&resourceVersion=" + *resource_version;
  std::string pending;
  bool gone = false;
  auto res = client->Get(path, [&](const char* data, size_t len) {
    if (stop_.load()) return false;
    pending.append(data, len);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      auto event = nlohmann::json::parse(std::string_view(pending).substr(0, nl), nullptr, false);
      pending.erase(0, nl + 1);
      if (event.is_discarded() || !event.contains("type") || !event["type"].is_string()) continue;
      std::string type = event["type"].get<std::string>();
      if (type == "ERROR") {
        // 410 Gone: the resourceVersion is too old; list again.
        gone = event.value("/object/code"_json_pointer, 0) == 410;
        return false;
      }
      auto object = event.find("object");
      if (object == event.end() || !object->is_object()) continue;
      std::string rv = object->value("/metadata/resourceVersion"_json_pointer, std::string());
      if (!rv.empty()) *resource_version = rv;
      if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") {
        Deliver([&] { handlers_.changed(type, *object); });
      }
    }
    return pending.size() < (8 << 20);  // an event line is never this long
  });
  {
    std::lock_guard<std::mutex> lock(client_mu_);
    watching_ = nullptr;
  }
  if (res && res->status == 410) gone = true;
  return !gone;
}

void ListWatch::Run() {
  int backoff_ms = 200;
  std::string rv;
  bool listed = false;
  while (!stop_.load()) {
    if (!listed) {
      listed = List(&rv);
      if (!listed) {
        if (!Wait(backoff_ms)) return;
        backoff_ms = std::min(backoff_ms * 2, options_.max_backoff_ms);
        continue;
      }
      backoff_ms = 200;
    }
    auto started = std::chrono::steady_clock::now();
    if (!Watch(&rv)) {
      log_ << nlohmann::json{{"msg", options_.what + " watch expired (410); listing again"}}.dump() << "\n" << std::flush;
      listed = false;
      continue;
    }
    // The watch ended (its timeout, a disconnect): resume from the last version, at
    // once after a long watch, with backoff after one that failed quickly.
    bool quick = std::chrono::steady_clock::now() - started < std::chrono::seconds(5);
    if (!Wait(quick ? backoff_ms : 0)) return;
    backoff_ms = quick ? std::min(backoff_ms * 2, options_.max_backoff_ms) : 200;
  }
}

}  // namespace clausegate::kube
