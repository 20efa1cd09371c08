#include "audit/cluster_audit.h"

#include <utility>
#include <vector>

#include "inputs/manifests.h"
#include "kube/api_resources.h"

namespace clausegate::audit {
namespace {

// Where an object lives in the API: what reports name as its file.
std::string ApiPath(const kube::ApiResource& r, const std::string& ns, const std::string& name) {
  std::string path = r.group.empty() ? "/api/v1" : "/apis/" + r.GroupVersion();
  if (r.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + r.resource + "/" + name;
}

report::InputProblem ClusterProblem(report::InputProblem::Severity severity, std::string message) {
  report::InputProblem p;
  p.severity = severity;
  p.issue.file = "cluster";
  p.issue.message = std::move(message);
  return p;
}

}  // namespace

Result<AuditStats> RunAudit(httplib::ClientImpl& client, const engine::PolicySet& set, const AuditScope& scope,
                            const clausegate::Timestamp& now, const AuditSink& sink) {
  AuditStats stats;
  auto problem = [&](report::InputProblem::Severity severity, std::string message) {
    ++stats.problems;
    sink.on_problem(ClusterProblem(severity, std::move(message)));
  };
  std::vector<std::string> unavailable;
  auto resources = kube::DiscoverResources(client, &unavailable);
  if (!resources.ok()) return Status(resources.status().code(), "discovery: " + resources.status().message());
  for (auto& u : unavailable) problem(report::InputProblem::Severity::kWarning, "API group not discovered, not audited: " + u);

  kube::ListOptions list_options;
  list_options.label_selector = scope.object_selector;
  list_options.namespace_name = scope.namespace_name;
  list_options.limit = scope.page_size;
  list_options.cancel = scope.cancel;

  // Existing objects are judged as their creation would be; every namespace (labels
  // and object) is read first.
  inputs::RequestDefaults defaults;
  defaults.operation = "CREATE";
  defaults.default_namespace = "";  // listed objects say their namespace; cluster-scoped ones have none
  defaults.now = now;
  inputs::InputBuilder builder({}, defaults);
  const kube::ApiResource* namespaces = nullptr;
  std::vector<const kube::ApiResource*> judged;
  for (const auto& r : *resources) {
    if (!r.listable) continue;
    if (r.group.empty() && r.resource == "namespaces") namespaces = &r;
    if (!scope.namespace_name.empty() && !r.namespaced) continue;
    engine::RequestInfo info;
    info.operation = "CREATE";
    info.group = r.group;
    info.version = r.version;
    info.kind = r.kind;
    info.resource = r.resource;
    if (set.MayJudge(info)) judged.push_back(&r);
  }
  auto to_item = [](json::DocumentPtr doc, const kube::ApiResource& r) {
    inputs::Item item;
    item.object = cel::Value::Json(*doc);
    item.doc = std::move(doc);
    item.resource = r.resource;
    item.file = ApiPath(r, engine::StringAt(item.object, {"metadata", "namespace"}),
                        engine::StringAt(item.object, {"metadata", "name"}));
    return item;
  };
  auto listed = [&](const Status& s) {
    ++stats.resources;
    if (s.code() == StatusCode::kCancelled) {
      stats.cancelled = true;
    } else if (!s.ok()) {
      problem(report::InputProblem::Severity::kError, s.message());
    }
    return !stats.cancelled;
  };
  if (namespaces) {
    kube::ListOptions ns_options;
    ns_options.limit = list_options.limit;
    ns_options.cancel = scope.cancel;
    Status s = kube::ListObjects(client, *namespaces, ns_options, [&](json::DocumentPtr doc) {
      builder.AddNamespace(to_item(std::move(doc), *namespaces));
    });
    if (!listed(s)) return stats;
  }
  for (const kube::ApiResource* r : judged) {
    Status s = kube::ListObjects(client, *r, list_options, [&](json::DocumentPtr doc) {
      inputs::Item item = to_item(std::move(doc), *r);  // the document lives as long as the evaluation
      inputs::Prepared p = builder.Build(item);
      ++stats.objects;
      sink.on_result({std::move(p.ref), set.Evaluate(p.input)});
    });
    if (!listed(s)) return stats;
  }
  return stats;
}

}  // namespace clausegate::audit
