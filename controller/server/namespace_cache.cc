#include "server/namespace_cache.h"

#include <nlohmann/json.hpp>

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
    : labels_(std::make_shared<const NamespaceLabels>()),
      watch_(std::move(config), {.path = "/api/v1/namespaces", .what = "namespace"},
             {.listed =
                  [this](std::vector<nlohmann::json> items) {
                    auto fresh = std::make_shared<NamespaceLabels>();
                    for (const auto& item : items) {
                      std::string name = item.value("/metadata/name"_json_pointer, std::string());
                      if (!name.empty()) (*fresh)[name] = Info(item);
                    }
                    std::lock_guard<std::mutex> lock(mu_);
                    labels_ = std::move(fresh);
                  },
              .changed =
                  [this](const std::string& type, const nlohmann::json& object) {
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
                  },
              .list_failed = nullptr},
             log) {}

NamespaceCache::~NamespaceCache() { Stop(); }

std::shared_ptr<const NamespaceLabels> NamespaceCache::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return labels_;
}

engine::NamespaceInfo NamespaceCache::Info(const nlohmann::json& object) {
  engine::NamespaceInfo info;
  info.labels = LabelsOf(object);
  // Decoded once here, read in place by every request's namespaceObject.
  auto doc = decoder_.Decode(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (doc.ok()) info.object = *doc;
  return info;
}

}  // namespace clausegate::server
