#include "server/namespace_cache.h"

#include "kube/kube_client.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <filesystem>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "json/yaml.h"

namespace clausegate::server {
namespace {
std::map<std::string, std::string> LabelsOf(const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace

NamespaceCache::NamespaceCache(kube::KubeConfig config, std::ostream& log)
    : config_(std::move(config)), log_(log), labels_(std::make_shared<const NamespaceLabels>()) {}

NamespaceCache::~NamespaceCache() { Stop(); }

std::shared_ptr<const NamespaceLabels> NamespaceCache::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return labels_;
}

void NamespaceCache::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NamespaceCache::Stop() {
  stop_.store(true);
  wake_.notify_all();
  {
    std::lock_guard<std::mutex> lock(client_mu_);
    if (watching_) watching_->stop();
  }
  if (thread_.joinable()) thread_.join();
}

bool NamespaceCache::Wait(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_.load();
}

engine::NamespaceInfo NamespaceCache::Info(const nlohmann::json& object) {
  engine::NamespaceInfo info;
  info.labels = LabelsOf(object);
  // Decoded once here, read in place by every request's namespaceObject.
  auto doc = decoder_.Decode(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (doc.ok()) info.object = *doc;
  return info;
}

bool NamespaceCache::List(std::string* resource_version) {
  auto client = kube::MakeKubeClient(config_);
  auto res = client->Get("/api/v1/namespaces");
  if (!res || res->status != 200) {
    log_ << nlohmann::json{{"msg", "namespace list failed"}, {"status", res ? res->status : 0}}.dump() << "\n" << std::flush;
    return false;
  }
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("items") || !doc["items"].is_array()) return false;
  auto fresh = std::make_shared<NamespaceLabels>();
  for (const auto& item : doc["items"]) {
    std::string name = item.value("/metadata/name"_json_pointer, std::string());
    if (!name.empty()) (*fresh)[name] = Info(item);
  }
  *resource_version = doc.value("/metadata/resourceVersion"_json_pointer, std::string());
  {
    std::lock_guard<std::mutex> lock(mu_);
    labels_ = std::move(fresh);
  }
  ++relists_;
  synced_.store(true);
  return true;
}

void NamespaceCache::Apply(const std::string& type, const std::string& object_json, std::string* resource_version) {
  auto object = nlohmann::json::parse(object_json, nullptr, false);
  if (object.is_discarded()) return;
  std::string rv = object.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (!rv.empty()) *resource_version = rv;
  if (type == "BOOKMARK") return;
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  if (name.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<NamespaceLabels>(*labels_);
  if (type == "DELETED") {
    next->erase(name);
  } else {
    (*next)[name] = Info(object);
  }
  labels_ = std::move(next);
}

bool NamespaceCache::Watch(std::string* resource_version) {
  auto client = kube::MakeKubeClient(config_);
  {
    // Stop() shuts this client's socket: a watch is a long poll that would otherwise
    // hold the shutdown until the API server ends it.
    std::lock_guard<std::mutex> lock(client_mu_);
    if (stop_.load()) return true;
    watching_ = client.get();
  }
  std::string path = "/api/v1/namespaces?watch=1&allowWatchBookmarks=true&resourceVersion=" + *resource_version;
  std::string pending;
  bool gone = false;
  auto res = client->Get(path, [&](const char* data, size_t len) {
    if (stop_.load()) return false;
    pending.append(data, len);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_discarded() || !event.contains("type")) continue;
      std::string type = event["type"].is_string() ? event["type"].get<std::string>() : "";
      if (type == "ERROR") {
        // 410 Gone: the resourceVersion is too old; list again.
        gone = event.value("/object/code"_json_pointer, 0) == 410;
        return false;
      }
      if (event.contains("object")) Apply(type, event["object"].dump(), resource_version);
    }
    return pending.size() < (1 << 20);  // an event line is never this long
  });
  {
    std::lock_guard<std::mutex> lock(client_mu_);
    watching_ = nullptr;
  }
  if (res && res->status == 410) gone = true;
  return !gone;
}

void NamespaceCache::Run() {
  int backoff_ms = 200;
  std::string rv;
  bool listed = false;
  while (!stop_.load()) {
    if (!listed) {
      listed = List(&rv);
      if (!listed) {
        if (!Wait(backoff_ms)) return;
        backoff_ms = std::min(backoff_ms * 2, 30000);
        continue;
      }
      backoff_ms = 200;
    }
    if (!Watch(&rv)) {
      log_ << R"({"msg":"namespace watch expired (410); listing again"})" << "\n" << std::flush;
      listed = false;
      continue;
    }
    // The watch ended (timeout or disconnect): resume from the last version.
    if (!Wait(backoff_ms)) return;
  }
}

}  // namespace clausegate::server
