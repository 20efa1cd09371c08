#pragma once
// The one engine that the webhook and the CLI share:
//   PolicySet (compiled, immutable)  +  Input (one admission request)
//     -> match -> evaluate -> Decision (verdicts with clause references).
// Nothing here knows HTTP or files; time comes in with the input.

#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cel/values/value.h"
#include "json/document.h"
#include "policy/loader.h"
#include "policy/model.h"

namespace clausegate::engine {

// What the cluster says about a namespace: its labels and the object itself.
struct NamespaceInfo {
  std::map<std::string, std::string> labels;
  json::DocumentPtr object;  // may be null
};
using NamespaceIndex = std::map<std::string, NamespaceInfo>;

// The admission request facts that matching needs.
struct RequestInfo {
  std::string uid;
  std::string operation = "CREATE";  // CREATE UPDATE DELETE CONNECT
  std::string group;                 // "" for the core group
  std::string version;
  std::string kind;
  std::string resource;  // plural: "pods", "deployments"
  std::string sub_resource;
  std::string namespace_name;  // "" for cluster-scoped objects
  std::string name;
  std::string username;
  std::vector<std::string> groups;
  bool dry_run = false;
};

struct Input {
  RequestInfo info;
  cel::Value object;      // null on DELETE
  cel::Value old_object;  // null on CREATE
  cel::Value request;     // the AdmissionRequest as CEL sees it
  // Labels of the request's namespace, when known; namespace_object likewise.
  std::optional<std::map<std::string, std::string>> namespace_labels;
  cel::Value namespace_object;
  clausegate::Timestamp now;
  // Past this, evaluation stops and each unfinished rule follows its policy's
  // failurePolicy.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Documents the values above point into; kept alive for the evaluation.
  std::vector<json::DocumentPtr> keep_alive;
};

enum class Outcome {
  kPass,      // the rule holds
  kFail,      // the rule is violated: its action applies
  kError,     // the rule could not be evaluated; failurePolicy Fail: treated as kFail
  kIgnored,   // could not be evaluated, failurePolicy Ignore: allowed with a warning
  kExcepted,  // violated, but a valid exception covers it
};
const char* ToString(Outcome o);

struct RuleResult {
  const policy::Policy* policy = nullptr;
  const policy::Validation* rule = nullptr;  // null for a policy-level error (matchConditions)
  Outcome outcome = Outcome::kPass;
  policy::Action action = policy::Action::kDeny;
  std::string message;
  std::string subject;  // "Deployment web" for pod templates; "" for the object itself
  std::string path;     // where in the object the evaluated view sits ("spec.template")
  const policy::PolicyException* exception = nullptr;
};

struct Decision {
  bool allowed = true;
  std::vector<RuleResult> results;  // every evaluated rule of every matched policy
  std::vector<std::string> warnings;
  std::map<std::string, std::string> audit_annotations;
  std::string message;  // the denial message; empty when allowed
  std::vector<const policy::Policy*> matched;
};

// An immutable, compiled policy set, indexed so that a request only visits the
// policies that can match it. Share it with std::shared_ptr; swap it whole.
class PolicySet {
 public:
  // `resource_options`: how a CompliancePolicy or CompliancePolicyException that a
  // request sends is loaded, as the built-in rule checks it (see BuiltinPolicy).
  PolicySet(std::vector<policy::Policy> policies, std::vector<policy::PolicyException> exceptions,
            policy::LoadOptions resource_options = {});

  const std::vector<policy::Policy>& policies() const { return policies_; }
  const std::vector<policy::PolicyException>& exceptions() const { return exceptions_; }

  Decision Evaluate(const Input& input) const;

  // Whether some policy may apply to requests like `info` (its resource, version and
  // operation; selectors and conditions aside): what an audit needs to list.
  // The built-in rule judges the policy resources themselves.
  bool MayJudge(const RequestInfo& info) const;

  // The rule no policy can disable or waive: a CompliancePolicy or
  // CompliancePolicyException that a request creates or updates must load, as the
  // loader reads it (an exception complete and not expired), and a policy must not
  // take the name of one loaded from files.
  const policy::Policy& builtin_policy() const { return builtin_; }

  // The plural resource and group of a kind, for inputs that only name a kind
  // (manifests). Unknown kinds get Kubernetes' default pluralisation.
  static std::string ResourceForKind(std::string_view kind);

 private:
  struct Candidate {
    const policy::Policy* policy;
    bool via_template;  // matched as the pod template of a workload
  };
  std::vector<Candidate> Candidates(const RequestInfo& info) const;
  // The built-in rule's result for a request of a policy resource; nullopt for others.
  std::optional<RuleResult> CheckPolicyResource(const Input& in) const;

  std::vector<policy::Policy> policies_;
  std::vector<policy::PolicyException> exceptions_;
  // (group "/" resource) -> policies whose rules name it or a wildcard, in order;
  // a resource no rule names has the wildcards alone.
  std::map<std::string, std::vector<size_t>> by_resource_;
  std::vector<size_t> wildcard_;
  std::vector<size_t> pod_template_policies_;
  // Per policy: its class of identical resource rules (see Candidates).
  std::vector<uint32_t> match_class_;
  size_t match_classes_ = 0;
  // Per policy, per variable and per match condition: its slot among the distinct
  // texts of request-scoped expressions (evaluated once a request for all policies
  // that declare it), or -1.
  struct SharedSlots {
    std::vector<int> variables, conditions;
  };
  std::vector<SharedSlots> shared_slots_;
  size_t shared_count_ = 0;
  policy::LoadOptions resource_options_;
  policy::Policy builtin_;
};

// The string at a path of map keys ("metadata", "name"), or "" when absent.
std::string StringAt(const cel::Value& v, std::initializer_list<std::string_view> path);

// The AdmissionRequest as CEL's `request` sees it, for inputs that are not
// captured AdmissionReviews (manifests checked in CI).
cel::Value RequestValue(const RequestInfo& info);

// "[clausegate] Pod default/web denied by 2 rules:\n- policy/rule (ISO/IEC ...):\n  message"
// A rule's message placed in the object: for a pod template, the workload and the
// template's path come first ("Deployment web: spec.template.spec.containers[0]...").
std::string LocatedMessage(const RuleResult& r);
// The same without the workload: "spec.template.spec.containers[0]...".
std::string PathedMessage(const RuleResult& r);

std::string DenialMessage(const RequestInfo& info, const std::vector<const RuleResult*>& denials);
// "ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3, 12.1.2"
std::string RenderClauses(const std::vector<policy::ClauseRef>& refs);

}  // namespace clausegate::engine
