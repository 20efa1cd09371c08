#include "audit/cluster_policies.h"

#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "kube/api_resources.h"
#include "policy/resource_check.h"

namespace clausegate::audit {

Result<ClusterPolicies> ListClusterPolicies(httplib::ClientImpl& client, const policy::LoadOptions& options) {
  ClusterPolicies out;
  std::map<std::string, std::string> listed;  // key -> object, for the digest in a stable order
  struct Kind {
    const char* kind;
    const char* plural;
    bool namespaced;
  };
  for (const Kind& k : {Kind{"CompliancePolicy", "compliancepolicies", false},
                        Kind{"CompliancePolicyException", "compliancepolicyexceptions", true}}) {
    const std::string kind = k.kind;
    kube::ApiResource resource;
    resource.group = std::string(policy::kPolicyGroup);
    resource.version = "v1alpha1";
    resource.resource = k.plural;
    resource.kind = kind;
    resource.namespaced = k.namespaced;
    resource.listable = true;
    Status s = kube::ListObjects(client, resource, {}, [&](json::DocumentPtr doc) {
      // What the loader reads, also for the digest: a status write changes neither.
      nlohmann::json object = nlohmann::json::parse(simdjson::minify(doc->root()), nullptr, false);
      std::string text = policy::ResourceSpecText(object);
      policy::LoadResult loaded = policy::LoadPolicyResource(text, options);
      std::string ns, name;
      if (std::string_view v; doc->root()["metadata"]["namespace"].get(v) == simdjson::SUCCESS) ns = v;
      if (std::string_view v; doc->root()["metadata"]["name"].get(v) == simdjson::SUCCESS) name = v;
      std::string key = kind + "/" + (ns.empty() ? "" : ns + "/") + name;
      listed[key] = text;
      if (loaded.issues.empty() && loaded.policies.size() == 1) {
        out.policies.push_back(std::move(loaded.policies[0]));
      } else if (loaded.issues.empty() && loaded.exceptions.size() == 1) {
        out.exceptions.push_back(std::move(loaded.exceptions[0]));
      } else {
        std::string why;
        for (const auto& p : policy::ResourceProblems(loaded)) why += (why.empty() ? "" : "; ") + p;
        out.refused.push_back(key + ": " + (why.empty() ? "holds no " + kind : why));
      }
    });
    if (s.code() == StatusCode::kNotFound) continue;
    if (!s.ok()) return s;
    out.installed = true;
  }
  for (const auto& [key, text] : listed) out.digest_input += key + "\n" + std::to_string(text.size()) + "\n" + text;
  return out;
}

}  // namespace clausegate::audit
