#include "audit/report_sync.h"

#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "kube/api_resources.h"
#include "kube/kube_client.h"

namespace clausegate::audit {
namespace {

constexpr const char* kGroupVersion = "/apis/wgpolicyk8s.io/v1alpha2";
constexpr size_t kErrorsKept = 5;

std::string ReportPath(const std::string& ns, const std::string& name) {
  if (ns.empty()) return std::string(kGroupVersion) + "/clusterpolicyreports/" + name;
  return std::string(kGroupVersion) + "/namespaces/" + ns + "/policyreports/" + name;
}

// The content a reader sees, without the times of the run that wrote it.
std::string ContentDigest(const nlohmann::json& report) {
  nlohmann::json content = {{"metadata", report["metadata"]}, {"summary", report["summary"]}, {"results", report["results"]}};
  for (auto& r : content["results"]) r.erase("timestamp");
  return Sha256Hex(content.dump());
}

kube::ApiResource ReportResource(bool cluster) {
  kube::ApiResource r;
  r.group = "wgpolicyk8s.io";
  r.version = "v1alpha2";
  r.resource = cluster ? "clusterpolicyreports" : "policyreports";
  r.kind = cluster ? "ClusterPolicyReport" : "PolicyReport";
  r.namespaced = !cluster;
  r.listable = true;
  return r;
}

}  // namespace

Result<SyncStats> SyncReports(httplib::ClientImpl& client, const report::PolicyReportBuilder& reports,
                              const std::atomic<bool>* cancel) {
  SyncStats stats;
  // What clausegate wrote before: "ns/name" -> content digest. Metadata only, page by
  // page: the reports themselves may be large.
  std::map<std::string, std::string> existing;
  for (bool cluster : {true, false}) {
    kube::ListOptions options;
    options.label_selector = std::string(kManagedByLabel) + "=clausegate";
    options.metadata_only = true;
    options.cancel = cancel;
    Status s = kube::ListObjects(client, ReportResource(cluster), options, [&](json::DocumentPtr doc) {
      auto meta = doc->root()["metadata"];
      std::string_view ns, name, digest;
      if (meta["name"].get(name) != simdjson::SUCCESS) return;
      if (meta["namespace"].get(ns) != simdjson::SUCCESS) ns = {};  // cluster-scoped
      if (meta["annotations"][kDigestAnnotation].get(digest) != simdjson::SUCCESS) digest = {};
      existing[std::string(ns) + "/" + std::string(name)] = std::string(digest);
    });
    if (s.code() == StatusCode::kNotFound) {
      return NotFound("the wgpolicyk8s.io/v1alpha2 PolicyReport CRDs are not installed (" + s.message() + ")");
    }
    if (!s.ok()) return s;
  }

  auto failed = [&](const std::string& what, const Status& s) {
    ++stats.failed;
    if (stats.errors.size() < kErrorsKept) stats.errors.push_back(what + ": " + s.message());
  };
  reports.ForEachReport([&](const std::string& ns, const nlohmann::json& built) {
    if (cancel && cancel->load()) return;
    nlohmann::json report = built;
    const std::string name = report["metadata"]["name"];
    std::string digest = ContentDigest(report);
    std::string key = ns + "/" + name;
    auto it = existing.find(key);
    bool same = it != existing.end() && it->second == digest;
    if (it != existing.end()) existing.erase(it);  // produced: not stale
    if (same) {
      ++stats.unchanged;
      return;
    }
    report["metadata"]["labels"][kManagedByLabel] = "clausegate";
    report["metadata"]["annotations"][kDigestAnnotation] = digest;
    Status s = kube::ApplyObject(client, ReportPath(ns, name), report.dump(), kFieldManager);
    if (s.ok()) {
      ++stats.applied;
    } else {
      failed(key, s);
    }
  });
  if (cancel && cancel->load()) return stats;
  for (const auto& [key, digest] : existing) {
    auto slash = key.find('/');
    Status s = kube::DeleteObject(client, ReportPath(key.substr(0, slash), key.substr(slash + 1)));
    if (s.ok()) {
      ++stats.deleted;
    } else {
      failed(key, s);
    }
  }
  return stats;
}

}  // namespace clausegate::audit
