// The engine: matching, pod templates, selectors, evaluation, exceptions and the
// decision with its clause references.

#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "json/document.h"
#include "policy/loader.h"

using namespace clausegate;
using namespace clausegate::engine;

namespace {

const char* kPolicies = R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: no-privileged, labels: {profile: baseline}}
spec:
  controls: ["ISO27017:CLD.9.5.2", "ISO27002:9.2.3"]
  severity: high
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE, UPDATE]}]
    podTemplates: true
    excludeNamespaces: [kube-system]
  matchConditions:
    - name: not-mirror
      expression: "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)"
  variables:
    - name: containers
      expression: "object.spec.containers + object.spec.?initContainers.orValue([])"
  validations:
    - name: no-privileged
      expression: "variables.containers.all(c, !c.?securityContext.?privileged.orValue(false))"
      messageExpression: "'containers ' + variables.containers.filter(c, c.?securityContext.?privileged.orValue(false)).map(c, c.name).join(', ') + ' must not set securityContext.privileged=true'"
    - name: has-owner
      expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
      message: "pods need an owner label"
      action: Warn
      controls: ["ISO27002:8.1.2"]
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: ticket}
spec:
  controls: ["ISO27002:12.1.2", "ISO27002:14.2.2"]
  failurePolicy: Ignore
  match:
    resources: [{apiGroups: ["apps"], apiVersions: ["*"], resources: [deployments], operations: ["*"]}]
    namespaceSelector: {matchLabels: {env: prod}}
    objectSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [test]}]}
    excludeUsernames: ["system:serviceaccount:kube-system:deployer"]
  validations:
    - name: ticket-present
      expression: "object.metadata.annotations['change-ticket'].matches('^CHG-[0-9]+$')"
      message: "production changes need a change-ticket annotation"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: immutable-tenant}
spec:
  controls: ["ISO27017:CLD.9.5.1"]
  action: Audit
  match:
    resources: [{resources: ["*"], operations: [UPDATE, DELETE]}]
  validations:
    - name: tenant-unchanged
      expression: "request.operation == 'DELETE' || oldObject.metadata.?labels.?tenant == object.metadata.?labels.?tenant"
      message: "the tenant label is immutable"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: recorder}
spec:
  controls: ["ISO27002:12.4.1"]
  match:
    resources: [{apiGroups: [""], resources: [secrets], operations: [UPDATE, DELETE]}]
  validations:
    - {name: always, expression: "true"}
  auditAnnotations:
    - key: tenant
      valueExpression: "request.operation == 'DELETE' ? '' : string(object.metadata.?labels.?tenant.orValue(''))"
    - key: broken
      valueExpression: "request.operation == 'DELETE' ? '' : string(object.metadata.labels.nope)"
    - key: nothing
      valueExpression: "null"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: messages}
spec:
  controls: ["ISO27002:14.2.5"]
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  validations:
    - name: broken-message
      expression: "false"
      messageExpression: "string(object.missing.field)"
      message: "the static message"
    - name: empty-message
      expression: "false"
      messageExpression: "''"
      message: "static again"
    - name: no-message
      expression: "size(object.data) < 0"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: incomplete}
spec:
  policies: [{name: messages}]
  match: {namespaces: [default]}
  justification: "no ticket and no expiry: has no effect"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: legacy-agent}
spec:
  policies: [{name: no-privileged, rules: [no-privileged]}]
  match: {namespaces: [monitoring], kinds: [DaemonSet]}
  justification: node agent needs host access until v3
  ticket: CHG-42
  expires: "2030-01-01T00:00:00Z"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: expired}
spec:
  policies: [{name: no-privileged}]
  match: {namespaces: [old]}
  justification: gone
  ticket: CHG-1
  expires: "2020-01-01T00:00:00Z"
)yaml";

struct Fixture {
  std::shared_ptr<PolicySet> set;
  json::Decoder decoder;
  std::vector<json::DocumentPtr> docs;

  Fixture() {
    auto loaded = policy::LoadPolicies({{"policies.yaml", kPolicies}});
    for (const auto& i : loaded.issues) FAIL(i.ToString());
    set = std::make_shared<PolicySet>(std::move(loaded.policies), std::move(loaded.exceptions));
  }

  cel::Value Doc(const std::string& json) {
    auto d = decoder.Decode(json);
    REQUIRE(d.ok());
    docs.push_back(*d);
    return cel::Value::Json((*d)->root());
  }

  Decision Run(RequestInfo info, const std::string& object, const std::string& old = "",
               std::map<std::string, std::string> ns_labels = {}) {
    Input in;
    in.info = std::move(info);
    in.object = object.empty() ? cel::Value::Null() : Doc(object);
    in.old_object = old.empty() ? cel::Value::Null() : Doc(old);
    in.request = RequestValue(in.info);
    in.namespace_labels = ns_labels;
    in.now = *clausegate::ParseTimestamp("2026-06-01T00:00:00Z");
    return set->Evaluate(in);
  }
};

RequestInfo Pod(std::string ns = "default", std::string op = "CREATE") {
  RequestInfo i;
  i.operation = std::move(op);
  i.version = "v1";
  i.kind = "Pod";
  i.resource = "pods";
  i.namespace_name = std::move(ns);
  i.name = "web";
  return i;
}

RequestInfo Workload(std::string group, std::string kind, std::string ns = "default", std::string op = "CREATE") {
  RequestInfo i;
  i.operation = std::move(op);
  i.group = std::move(group);
  i.version = "v1";
  i.kind = kind;
  i.resource = PolicySet::ResourceForKind(kind);
  i.namespace_name = std::move(ns);
  i.name = "web";
  return i;
}

const char* kPrivilegedPod =
    R"({"metadata":{"name":"web","labels":{"owner":"shop"}},"spec":{"containers":[{"name":"app","securityContext":{"privileged":true}},{"name":"side"}]}})";
const char* kGoodPod = R"({"metadata":{"name":"web","labels":{"owner":"shop"}},"spec":{"containers":[{"name":"app"}]}})";

std::string Template(const std::string& pod_spec) {
  return R"({"metadata":{"name":"web"},"spec":{"template":{"metadata":{"labels":{"owner":"shop"}},"spec":)" + pod_spec + "}}}";
}

}  // namespace

TEST_CASE("engine: a privileged pod is denied with clause references", "[engine]") {
  Fixture f;
  Decision d = f.Run(Pod(), kPrivilegedPod);
  CHECK_FALSE(d.allowed);
  CHECK(d.message ==
        "[clausegate] Pod default/web denied by 1 rule:\n"
        "- no-privileged/no-privileged (ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3):\n"
        "  containers app must not set securityContext.privileged=true");
  CHECK(f.Run(Pod(), kGoodPod).allowed);
}

TEST_CASE("engine: exclusions, match conditions and operations", "[engine]") {
  Fixture f;
  CHECK(f.Run(Pod("kube-system"), kPrivilegedPod).allowed);
  CHECK(f.Run(Pod(), R"({"metadata":{"name":"web","annotations":{"kubernetes.io/config.mirror":"x"}},
                          "spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}})").allowed);
  // DELETE is not among the pod policy's operations.
  CHECK(f.Run(Pod("default", "DELETE"), "", kPrivilegedPod).allowed);
}

TEST_CASE("engine: pod templates of every workload kind", "[engine]") {
  Fixture f;
  const std::string bad = R"({"containers":[{"name":"app","securityContext":{"privileged":true}}]})";
  for (auto [group, kind] : std::vector<std::pair<std::string, std::string>>{
           {"apps", "Deployment"}, {"apps", "ReplicaSet"}, {"apps", "StatefulSet"}, {"apps", "DaemonSet"},
           {"batch", "Job"}, {"", "ReplicationController"}}) {
    INFO(kind);
    Decision d = f.Run(Workload(group, kind), Template(bad));
    CHECK_FALSE(d.allowed);
    CHECK(d.message.find(kind + " web: spec.template: containers app must not") != std::string::npos);
  }
  std::string cron = R"({"metadata":{"name":"web"},"spec":{"jobTemplate":{"spec":{"template":{"spec":)" + bad + "}}}}}";
  Decision d = f.Run(Workload("batch", "CronJob"), cron);
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("CronJob web: spec.jobTemplate.spec.template:") != std::string::npos);
  CHECK(f.Run(Workload("apps", "Deployment"), Template(R"({"containers":[{"name":"app"}]})")).allowed);
}

TEST_CASE("engine: namespace and object selectors, excluded users", "[engine]") {
  Fixture f;
  const std::string deploy = R"({"metadata":{"name":"web","labels":{"tier":"web"},"annotations":{}},"spec":{"template":{"spec":{"containers":[]}}}})";
  // Production namespace: the ticket policy applies.
  Decision prod = f.Run(Workload("apps", "Deployment"), deploy, "", {{"env", "prod"}});
  CHECK(prod.allowed);  // failurePolicy Ignore: a missing annotation is an evaluation error
  REQUIRE_FALSE(prod.warnings.empty());
  CHECK(std::any_of(prod.warnings.begin(), prod.warnings.end(), [](const std::string& w) {
    return w.find("ticket/ticket-present was not evaluated (failurePolicy Ignore)") != std::string::npos;
  }));
  // The most severe policy's warnings come first.
  CHECK(prod.warnings[0].starts_with("no-privileged/has-owner"));
  const std::string ticketless = R"({"metadata":{"name":"web","annotations":{"change-ticket":"none"}},"spec":{"template":{"spec":{"containers":[]}}}})";
  Decision denied = f.Run(Workload("apps", "Deployment"), ticketless, "", {{"env", "prod"}});
  CHECK_FALSE(denied.allowed);
  CHECK(denied.message.find("ticket/ticket-present (ISO/IEC 27002 12.1.2, 14.2.2):") != std::string::npos);
  // Other namespaces, test-tier objects and the excluded user are not checked.
  CHECK(f.Run(Workload("apps", "Deployment"), ticketless, "", {{"env", "dev"}}).allowed);
  const std::string test_tier = R"({"metadata":{"name":"web","labels":{"tier":"test"},"annotations":{"change-ticket":"none"}}})";
  CHECK(f.Run(Workload("apps", "Deployment"), test_tier, "", {{"env", "prod"}}).allowed);
  RequestInfo deployer = Workload("apps", "Deployment");
  deployer.username = "system:serviceaccount:kube-system:deployer";
  CHECK(f.Run(deployer, ticketless, "", {{"env", "prod"}}).allowed);
}

TEST_CASE("engine: oldObject on UPDATE, DELETE with only oldObject, audit verdicts", "[engine]") {
  Fixture f;
  RequestInfo update = Pod("default", "UPDATE");
  Decision d = f.Run(update, R"({"metadata":{"name":"web","labels":{"tenant":"b","owner":"x"}},"spec":{"containers":[]}})",
                     R"({"metadata":{"name":"web","labels":{"tenant":"a"}},"spec":{"containers":[]}})");
  CHECK(d.allowed);  // Audit never denies
  REQUIRE(d.audit_annotations.size() == 1);
  CHECK(d.audit_annotations.begin()->second == "immutable-tenant/tenant-unchanged: the tenant label is immutable");
  for (const auto& [k, v] : d.audit_annotations) CHECK(k.find('/') == std::string::npos);
  Decision del = f.Run(Pod("default", "DELETE"), "", R"({"metadata":{"name":"web"}})");
  CHECK(del.allowed);
  CHECK(del.audit_annotations.empty());
}

TEST_CASE("engine: warn verdicts become warnings", "[engine]") {
  Fixture f;
  Decision d = f.Run(Pod(), R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"a"}]}})");
  CHECK(d.allowed);
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0] == "no-privileged/has-owner: pods need an owner label");
}

TEST_CASE("engine: exceptions waive a rule, and are audited", "[engine]") {
  Fixture f;
  const std::string bad = Template(R"({"containers":[{"name":"agent","securityContext":{"privileged":true}}]})");
  Decision d = f.Run(Workload("apps", "DaemonSet", "monitoring"), bad);
  CHECK(d.allowed);
  REQUIRE_FALSE(d.warnings.empty());
  CHECK(d.warnings[0] == "no-privileged/no-privileged waived by exception legacy-agent (ticket CHG-42)");
  CHECK(d.audit_annotations.at("exception-legacy-agent") == "no-privileged/no-privileged waived; ticket CHG-42");
  // Not for another kind or namespace, and an expired exception does nothing.
  CHECK_FALSE(f.Run(Workload("apps", "Deployment", "monitoring"), bad).allowed);
  CHECK_FALSE(f.Run(Workload("apps", "DaemonSet", "old"), bad).allowed);
}

TEST_CASE("engine: an exception kept in a namespace waives only there", "[engine]") {
  const std::string text = std::string(kPolicies) + R"yaml(
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: team-waiver, namespace: team-a}
spec:
  policies: [{name: no-privileged}]
  justification: debugging a kernel module
  ticket: INC-7
  expires: "2030-01-01T00:00:00Z"
)yaml";
  auto loaded = policy::LoadPolicies({{"policies.yaml", text}});
  REQUIRE(loaded.ok());
  Fixture f;
  f.set = std::make_shared<PolicySet>(std::move(loaded.policies), std::move(loaded.exceptions));
  const std::string bad = Template(R"({"containers":[{"name":"agent","securityContext":{"privileged":true}}]})");
  Decision d = f.Run(Workload("apps", "Deployment", "team-a"), bad);
  CHECK(d.allowed);
  REQUIRE_FALSE(d.warnings.empty());
  CHECK(d.warnings[0] == "no-privileged/no-privileged waived by exception team-a/team-waiver (ticket INC-7)");
  CHECK(d.audit_annotations.at("exception-team-waiver") == "no-privileged/no-privileged waived; ticket INC-7");
  CHECK_FALSE(f.Run(Workload("apps", "Deployment", "team-b"), bad).allowed);
}

TEST_CASE("engine: evaluation errors follow failurePolicy Fail", "[engine]") {
  Fixture f;
  // containers is not a list: the rule cannot be evaluated, and Fail denies.
  Decision d = f.Run(Pod(), R"({"metadata":{"name":"web","labels":{"owner":"x"}},"spec":{"containers":"oops"}})");
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("no-privileged/no-privileged (ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3):\n  could not be evaluated:") !=
        std::string::npos);
}

TEST_CASE("engine: messageExpression falls back to message, then to the expression", "[engine]") {
  Fixture f;
  RequestInfo cm;
  cm.version = "v1";
  cm.kind = "ConfigMap";
  cm.resource = "configmaps";
  cm.namespace_name = "default";
  cm.name = "c";
  Decision d = f.Run(cm, R"({"metadata":{"name":"c"},"data":{"a":"b"}})");
  CHECK_FALSE(d.allowed);
  // The incomplete exception for this namespace has no effect.
  CHECK(d.message ==
        "[clausegate] ConfigMap default/c denied by 3 rules:\n"
        "- messages/broken-message (ISO/IEC 27002 14.2.5):\n  the static message\n"
        "- messages/empty-message (ISO/IEC 27002 14.2.5):\n  static again\n"
        "- messages/no-message (ISO/IEC 27002 14.2.5):\n  failed expression: size(object.data) < 0");
}

TEST_CASE("engine: params reach the expressions", "[engine]") {
  auto loaded = policy::LoadPolicies({{"p.yaml", R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: registries}
spec:
  controls: ["ISO27002:12.6.2"]
  params: {allowed: [registry.example.com/]}
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  validations:
    - name: trusted
      expression: "object.spec.containers.all(c, params.allowed.exists(p, c.image.startsWith(p)))"
      message: "images must come from a trusted registry"
)yaml"}});
  REQUIRE(loaded.ok());
  PolicySet set(std::move(loaded.policies), {});
  json::Decoder decoder;
  auto run = [&](const std::string& image) {
    auto doc = decoder.Decode(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":")" + image + R"("}]}})");
    Input in;
    in.info = Pod();
    in.object = cel::Value::Json((*doc)->root());
    in.request = RequestValue(in.info);
    return set.Evaluate(in).allowed;
  };
  CHECK(run("registry.example.com/web:1"));
  CHECK_FALSE(run("docker.io/web:1"));
}

TEST_CASE("engine: a passed deadline follows failurePolicy", "[engine]") {
  auto loaded = policy::LoadPolicies({{"p.yaml", R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: slow-fail}
spec:
  match: {resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods]}]}
  validations: [{name: slow, expression: "lists.range(900).all(i, lists.range(900).all(j, true))"}]
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: slow-ignore}
spec:
  failurePolicy: Ignore
  match: {resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods]}]}
  validations: [{name: slow, expression: "lists.range(900).all(i, lists.range(900).all(j, true))"}]
)yaml"}});
  REQUIRE(loaded.ok());
  PolicySet set(std::move(loaded.policies), {});
  json::Decoder decoder;
  auto doc = decoder.Decode(R"({"metadata":{"name":"p"},"spec":{"containers":[]}})");
  Input in;
  in.info = Pod();
  in.object = cel::Value::Json((*doc)->root());
  in.request = RequestValue(in.info);
  in.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  Decision d = set.Evaluate(in);
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("slow-fail/slow:\n  could not be evaluated: evaluation deadline exceeded") != std::string::npos);
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0].find("slow-ignore/slow was not evaluated (failurePolicy Ignore)") != std::string::npos);
}

TEST_CASE("engine: resource names for kinds", "[engine]") {
  CHECK(PolicySet::ResourceForKind("Pod") == "pods");
  CHECK(PolicySet::ResourceForKind("Ingress") == "ingresses");
  CHECK(PolicySet::ResourceForKind("NetworkPolicy") == "networkpolicies");
  CHECK(PolicySet::ResourceForKind("ClusterRoleBinding") == "clusterrolebindings");
  CHECK(PolicySet::ResourceForKind("Endpoints") == "endpoints");
  CHECK(PolicySet::ResourceForKind("Gateway") == "gateways");
}

TEST_CASE("engine: audit annotations record a value for every request a policy applies to", "[engine]") {
  Fixture f;
  RequestInfo cm = Workload("", "Secret", "default", "UPDATE");
  Decision d = f.Run(cm, R"({"metadata":{"name":"web","labels":{"tenant":"a"}}})",
                     R"({"metadata":{"name":"web","labels":{"tenant":"a"}}})");
  CHECK(d.allowed);
  CHECK(d.audit_annotations.at("recorder.tenant") == "a");
  // An expression error is a warning, never a denial; null and "" record nothing.
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0].starts_with("recorder: audit annotation broken could not be evaluated"));
  Decision del = f.Run(Workload("", "Secret", "default", "DELETE"), "", R"({"metadata":{"name":"web"}})");
  CHECK(del.audit_annotations.count("recorder.tenant") == 0);
  CHECK(d.audit_annotations.count("recorder.nothing") == 0);
  CHECK(del.warnings.empty());
}

TEST_CASE("engine: a message that starts with a field path continues the template's path", "[engine]") {
  RuleResult r;
  r.subject = "Deployment web";
  r.path = "spec.template";
  r.message = "spec.containers[0].image: pin a digest";
  CHECK(LocatedMessage(r) == "Deployment web: spec.template.spec.containers[0].image: pin a digest");
  r.message = "containers app must not be privileged";
  CHECK(LocatedMessage(r) == "Deployment web: spec.template: containers app must not be privileged");
  CHECK(PathedMessage(r) == "spec.template: containers app must not be privileged");
}

TEST_CASE("engine: every field path in a template message continues the template's path", "[engine]") {
  RuleResult r;
  r.subject = "DaemonSet agent";
  r.path = "spec.template";
  r.message = "spec.containers[0].securityContext.privileged, spec.containers[1].securityContext.privileged: must be false";
  CHECK(LocatedMessage(r) ==
        "DaemonSet agent: spec.template.spec.containers[0].securityContext.privileged, "
        "spec.template.spec.containers[1].securityContext.privileged: must be false");
  r.path = "spec.jobTemplate.spec.template";
  r.message = "set runAsNonRoot (spec.securityContext.runAsNonRoot); 'metadata.labels[app]' is required";
  CHECK(PathedMessage(r) ==
        "spec.jobTemplate.spec.template: set runAsNonRoot (spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot); "
        "'spec.jobTemplate.spec.template.metadata.labels[app]' is required");
  // Only whole words: a value that merely contains "spec." is left as it is.
  r.path = "spec.template";
  r.message = "image registry.example/spec.x and inspec.tion are fine";
  CHECK(PathedMessage(r) == "spec.template: image registry.example/spec.x and inspec.tion are fine");
  // The object itself (no template): messages are unchanged.
  r.path.clear();
  r.subject.clear();
  r.message = "spec.containers[1].image: pin a digest";
  CHECK(LocatedMessage(r) == "spec.containers[1].image: pin a digest");
}

namespace {

// A Pod created as `object`, judged by `set`: each policy's outcome (its last rule's).
std::map<std::string, Outcome> PodOutcomes(const PolicySet& set, const std::string& object, Decision* decision) {
  json::Decoder decoder;
  auto pod = decoder.Decode(object);
  REQUIRE(pod.ok());
  Input in;
  in.info = Pod();
  in.object = cel::Value::Json((*pod)->root());
  in.request = RequestValue(in.info);
  *decision = set.Evaluate(in);
  std::map<std::string, Outcome> by_policy;
  for (const auto& r : decision->results) by_policy[r.policy->name] = r.outcome;
  return by_policy;
}

}  // namespace

TEST_CASE("engine: variables with the same text share an evaluation only when nothing policy-specific is read",
          "[engine]") {
  const char* policies = R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: small}
spec:
  controls: ["ISO27002:12.1.3"]
  params: {limit: 2}
  match: {resources: [{apiGroups: [""], resources: [pods]}], podTemplates: true}
  variables:
    - {name: limit, expression: "params.limit"}
    - {name: count, expression: "object.spec.containers.size()"}
    - {name: doubled, expression: "variables.count * 2 + size('params')"}
  validations: [{name: fits, expression: "variables.count <= variables.limit"}]
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: large}
spec:
  controls: ["ISO27002:12.1.3"]
  params: {limit: 5}
  match: {resources: [{apiGroups: [""], resources: [pods]}]}
  variables:
    - {name: limit, expression: "params.limit"}
    - {name: count, expression: "object.spec.containers.size()"}
  validations: [{name: fits, expression: "variables.count <= variables.limit"}]
)yaml";
  auto loaded = policy::LoadPolicies({{"p.yaml", policies}});
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded.policies[0].variables[0].request_scoped);
  CHECK(loaded.policies[0].variables[1].request_scoped);
  CHECK_FALSE(loaded.policies[0].variables[2].request_scoped);  // reads another variable
  PolicySet set(std::move(loaded.policies), {});
  Decision d;
  auto by_policy = PodOutcomes(set, R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})", &d);
  // Each policy reads its own limit: three containers exceed 2, not 5.
  CHECK(by_policy.at("small") == Outcome::kFail);
  CHECK(by_policy.at("large") == Outcome::kPass);
}

TEST_CASE("engine: match conditions share an evaluation too, within one CEL environment", "[engine]") {
  // The same text formats differently in the two environments (Kubernetes writes
  // "1,234.50"): the clausegate policy's condition must not take the value of the
  // Kubernetes policy's variable of the same text (true there, false here).
  const char* policies = R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: kubernetes}
spec:
  controls: ["ISO27002:12.1.3"]
  match: {resources: [{apiGroups: [""], resources: [pods]}]}
  matchConditions: [{name: two-containers, expression: "object.spec.containers.size() == 2"}]
  variables: [{name: formatted, expression: "'%.2f'.format([1234.5]) == '1,234.50'"}]
  validations: [{name: own-format, expression: "variables.formatted"}]
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: clausegate}
spec:
  controls: ["ISO27002:12.1.3"]
  celEnvironment: clausegate
  match: {resources: [{apiGroups: [""], resources: [pods]}]}
  matchConditions:
    - {name: two-containers, expression: "object.spec.containers.size() == 2"}
    - {name: formatted, expression: "'%.2f'.format([1234.5]) == '1,234.50'"}
  validations: [{name: matched, expression: "false"}]
)yaml";
  auto loaded = policy::LoadPolicies({{"p.yaml", policies}});
  REQUIRE(loaded.ok());
  CHECK(loaded.policies[0].match_conditions[0].request_scoped);
  PolicySet set(std::move(loaded.policies), {});
  Decision d;
  auto by_policy = PodOutcomes(set, R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]}})", &d);
  CHECK(by_policy.at("kubernetes") == Outcome::kPass);
  CHECK(by_policy.count("clausegate") == 0);  // its second condition is false in its environment
  CHECK(d.matched.size() == 1);
}

namespace {

RequestInfo PolicyResource(std::string kind, std::string name, std::string ns = "", std::string op = "CREATE") {
  RequestInfo i;
  i.operation = std::move(op);
  i.group = "clausegate.io";
  i.version = "v1alpha1";
  i.kind = std::move(kind);
  i.resource = i.kind == "CompliancePolicy" ? "compliancepolicies" : "compliancepolicyexceptions";
  i.namespace_name = std::move(ns);
  i.name = std::move(name);
  return i;
}

const char* kGoodPolicyJson =
    R"J({"apiVersion":"clausegate.io/v1alpha1","kind":"CompliancePolicy","metadata":{"name":"labels","uid":"1"},)J"
    R"J("spec":{"match":{"resources":[{"resources":["configmaps"]}]},)J"
    R"J("validations":[{"name":"owner","expression":"has(object.metadata.labels)"}]}})J";

}  // namespace

TEST_CASE("engine: a policy resource that does not load is refused, with the field's position", "[engine]") {
  Fixture f;
  CHECK(f.Run(PolicyResource("CompliancePolicy", "labels"), kGoodPolicyJson).allowed);
  std::string bad = kGoodPolicyJson;
  bad.replace(bad.find("has(object.metadata.labels)"), 27, "object.metadata.labels.owner == 1 +");
  Decision d = f.Run(PolicyResource("CompliancePolicy", "labels"), bad);
  REQUIRE_FALSE(d.allowed);
  CHECK(d.message.find("CompliancePolicy labels denied by 1 rule:\n"
                       "- clausegate-policy-resources/loads (ISO/IEC 27002 12.1.2, 14.2.2):\n"
                       "  spec.validations[0].expression:1:") != std::string::npos);
  // An unknown field is the schema's error, as lint gives it.
  std::string unknown = kGoodPolicyJson;
  unknown.replace(unknown.find("\"match\""), 7, "\"mtach\"");
  d = f.Run(PolicyResource("CompliancePolicy", "labels"), unknown);
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("unknown field \"spec.mtach\"") != std::string::npos);
  // A policy cannot take the name of one loaded from files; DELETE is never judged.
  std::string clash = kGoodPolicyJson;
  clash.replace(clash.find("\"name\":\"labels\""), 15, "\"name\":\"no-privileged\"");
  d = f.Run(PolicyResource("CompliancePolicy", "no-privileged"), clash);
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("metadata.name: a policy named \"no-privileged\" is loaded from policies.yaml") != std::string::npos);
  CHECK(f.Run(PolicyResource("CompliancePolicy", "labels", "", "DELETE"), "", bad).allowed);
}

TEST_CASE("engine: an exception resource needs a ticket, a justification and a future expiry", "[engine]") {
  Fixture f;
  const std::string head =
      R"({"apiVersion":"clausegate.io/v1alpha1","kind":"CompliancePolicyException","metadata":{"name":"e","namespace":"team-a"},"spec":{"policies":[{"name":"no-privileged"}])";
  Decision d = f.Run(PolicyResource("CompliancePolicyException", "e", "team-a"), head + "}}");
  REQUIRE_FALSE(d.allowed);
  CHECK(d.message.find("the exception has no spec.justification\n  the exception has no spec.ticket\n"
                       "  the exception has no spec.expires") != std::string::npos);
  const std::string expired = head + R"(,"justification":"j","ticket":"INC-1","expires":"2026-05-31T00:00:00Z"}})";
  d = f.Run(PolicyResource("CompliancePolicyException", "e", "team-a"), expired);
  CHECK_FALSE(d.allowed);
  CHECK(d.message.find("spec.expires: 2026-05-31T00:00:00Z is not in the future") != std::string::npos);
  // Editing one that has since expired, its expiry unchanged, is allowed.
  CHECK(f.Run(PolicyResource("CompliancePolicyException", "e", "team-a", "UPDATE"), expired, expired).allowed);
  const std::string good = head + R"(,"justification":"j","ticket":"INC-1","expires":"2026-06-01T01:00:00Z"}})";
  CHECK(f.Run(PolicyResource("CompliancePolicyException", "e", "team-a"), good).allowed);
}

TEST_CASE("engine: rule resources match as the API server matches them, subresources included", "[engine]") {
  // One policy per form of a rule's resources; which of them each request reaches.
  std::string text;
  for (std::string r : {"pods", "*", "pods/status", "pods/*", "*/status", "*/*", "pods/ephemeralcontainers"}) {
    std::string name = r;
    for (char& c : name) c = (c == '/' ? '-' : c == '*' ? 'x' : c);
    text += "---\napiVersion: clausegate.io/v1alpha1\nkind: CompliancePolicy\nmetadata: {name: m-" + name +
            "}\nspec:\n  match:\n    resources: [{apiGroups: [\"\"], apiVersions: [v1], resources: [\"" + r +
            "\"]}]\n  validations: [{name: r, expression: 'true'}]\n";
  }
  auto loaded = policy::LoadPolicies({{"p.yaml", text}});
  REQUIRE(loaded.issues.empty());
  PolicySet set(std::move(loaded.policies), std::move(loaded.exceptions));
  json::Decoder decoder;
  auto object = decoder.Decode(R"({"metadata": {"name": "p"}})");
  REQUIRE(object.ok());
  auto reached = [&](std::string resource, std::string sub) {
    Input in;
    in.info.version = "v1";
    in.info.kind = "Pod";
    in.info.resource = resource;
    in.info.sub_resource = sub;
    in.object = cel::Value::Json(**object);
    std::string out;
    for (const policy::Policy* p : set.Evaluate(in).matched) out += (out.empty() ? "" : " ") + p->name;
    return out;
  };
  CHECK(reached("pods", "") == "m-pods m-x m-x-x");
  CHECK(reached("pods", "status") == "m-pods-status m-pods-x m-x-status m-x-x");
  CHECK(reached("pods", "ephemeralcontainers") == "m-pods-x m-x-x m-pods-ephemeralcontainers");
  CHECK(reached("services", "") == "m-x m-x-x");
  CHECK(reached("services", "status") == "m-x-status m-x-x");
  CHECK(reached("services", "proxy") == "m-x-x");
}

TEST_CASE("engine: policies with the same resource rules are matched alike, their rules tested once a request",
          "[engine]") {
  // Policies share a match class when their rules are the same; the class's verdict
  // must be each policy's own, directly and for a workload's pod template.
  struct Form {
    std::string name, rules;
    bool templates;
  };
  const std::vector<Form> forms = {
      {"a1", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}])", false},
      {"b1", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [UPDATE]}])", false},
      {"a2", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}])", false},
      {"c1", R"([{apiGroups: [""], apiVersions: [v1, v2], resources: [pods], operations: ["*"]}])", true},
      {"b2", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [UPDATE]}])", false},
      {"a3", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}])", true},
      {"d1", R"([{apiGroups: [apps], apiVersions: [v1], resources: [deployments], operations: [CREATE]}])", false},
      {"e1", R"([{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]},
                 {apiGroups: [apps], apiVersions: [v1], resources: [deployments], operations: [UPDATE]}])", false},
  };
  std::string text;
  for (const Form& f : forms) {
    text += "---\napiVersion: clausegate.io/v1alpha1\nkind: CompliancePolicy\nmetadata: {name: " + f.name +
            "}\nspec:\n  match:\n    resources: " + f.rules + "\n    podTemplates: " + (f.templates ? "true" : "false") +
            "\n  validations: [{name: r, expression: 'true'}]\n";
  }
  auto loaded = policy::LoadPolicies({{"p.yaml", text}});
  REQUIRE(loaded.issues.empty());
  PolicySet set(std::move(loaded.policies), std::move(loaded.exceptions));
  json::Decoder decoder;
  auto pod = decoder.Decode(R"({"metadata": {"name": "p"}, "spec": {"containers": []}})");
  auto deployment = decoder.Decode(R"({"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": []}}}})");
  REQUIRE(pod.ok());
  REQUIRE(deployment.ok());
  auto reached = [&](std::string group, std::string version, std::string resource, std::string op) {
    Input in;
    in.info.group = group;
    in.info.version = version;
    in.info.resource = resource;
    in.info.kind = resource == "pods" ? "Pod" : "Deployment";
    in.info.name = "x";
    in.info.operation = op;
    in.object = cel::Value::Json(resource == "pods" ? **pod : **deployment);
    std::string out;
    for (const policy::Policy* p : set.Evaluate(in).matched) out += (out.empty() ? "" : " ") + p->name;
    return out;
  };
  CHECK(reached("", "v1", "pods", "CREATE") == "a1 a2 c1 a3 e1");
  CHECK(reached("", "v1", "pods", "UPDATE") == "b1 c1 b2");
  CHECK(reached("", "v2", "pods", "CREATE") == "c1");
  CHECK(reached("", "v1", "pods", "DELETE") == "c1");
  CHECK(reached("apps", "v1", "deployments", "CREATE") == "d1 c1 a3");
  CHECK(reached("apps", "v1", "deployments", "UPDATE") == "e1 c1");
}
