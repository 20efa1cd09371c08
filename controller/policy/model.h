#pragma once
// The policy model: what a CompliancePolicy, a CompliancePolicyException and a
// ControlCatalogue say, after validation. Plain data; compiled CEL lives beside it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cel/runtime/program.h"
#include "common/time_util.h"
#include "common/source_position.h"
#include "json/document.h"

namespace clausegate::policy {

enum class Action { kDeny, kWarn, kAudit };
enum class Severity { kLow, kMedium, kHigh, kCritical };
enum class FailurePolicy { kFail, kIgnore };
enum class Enforcement { kEnforceable, kPartial, kOrganisational };

const char* ToString(Action a);
const char* ToString(Severity s);
const char* ToString(Enforcement e);

// Where a definition came from, for every message that points at it.
struct Origin {
  std::string file;  // for a resource read from the API server: "CompliancePolicy/NAME"
  SourcePosition position;
  bool cluster = false;  // read from the API server, not a file
};

// metav1.LabelSelector.
struct LabelRequirement {
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kIn;
  std::vector<std::string> values;
};
struct LabelSelector {
  std::vector<LabelRequirement> requirements;  // matchLabels become kIn with one value
  bool Matches(const std::map<std::string, std::string>& labels) const;
};

// An admissionregistration-style rule; "*" matches anything.
struct ResourceRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> api_versions;
  std::vector<std::string> resources;  // plural resource names, "pods", "deployments", "*"
  std::vector<std::string> operations; // CREATE UPDATE DELETE CONNECT *
};

struct Match {
  std::vector<ResourceRule> resources;
  bool pod_templates = false;
  std::optional<LabelSelector> namespace_selector;
  std::optional<LabelSelector> object_selector;
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> exclude_usernames;
};

struct NamedExpression {
  std::string name;
  std::string expression;
  Origin origin;
  std::shared_ptr<const cel::Program> program;
  cel::checker::Type type;  // what the checker says it yields
  std::string field;        // where it is written: "spec.validations[0].expression"
  cel::checker::CostRange estimated_cost;  // as Kubernetes estimates it
  // Reads only what every policy sees alike for one request (object, oldObject,
  // request, namespaceObject, now): no params, no variables (the compiled program
  // says what it reads). Policies that declare the same text (as a variable or a
  // match condition) then share one evaluation per request.
  bool request_scoped = false;
};

// A clause reference as written ("ISO27017:CLD.9.5.2") and as rendered
// ("ISO/IEC 27017 CLD.9.5.2").
struct ClauseRef {
  std::string id;
  std::string standard;  // "ISO/IEC 27017"
  std::string clause;    // "CLD.9.5.2"
};

struct Validation {
  std::string name;
  NamedExpression check;
  std::optional<NamedExpression> message_expression;
  std::string message;
  std::vector<ClauseRef> controls;  // the policy's, then the rule's own
  std::optional<Action> action;     // overrides the policy's
  Origin origin;
};

// spec.auditAnnotations: a value recorded in the API server's audit log for every
// request the policy applies to (the key becomes "<policy>.<key>").
struct AuditAnnotation {
  std::string key;
  NamedExpression value;  // a string, or null for "nothing to record"
};

// Variable slots of a policy's CEL environment.
struct Slots {
  int object = -1, old_object = -1, request = -1, namespace_object = -1, params = -1, now = -1;
  std::vector<int> variables;  // parallel to Policy::variables
};

struct Policy {
  std::string name;
  std::string title;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<ClauseRef> controls;
  Action action = Action::kDeny;
  Severity severity = Severity::kMedium;
  FailurePolicy failure_policy = FailurePolicy::kFail;
  Match match;
  std::vector<NamedExpression> match_conditions;
  std::vector<NamedExpression> variables;  // in order; each sees the ones before it
  std::vector<Validation> validations;
  std::vector<AuditAnnotation> audit_annotations;
  json::DocumentPtr params;  // spec.params, decoded once; null when absent
  Origin origin;
  std::shared_ptr<const cel::Env> env;  // what every expression above was compiled against
  // spec.celEnvironment: the Kubernetes VAP environment unless the policy opts in to
  // clausegate's extras (then it could not run as a ValidatingAdmissionPolicy).
  cel::checker::Profile cel_environment = cel::checker::Profile::kKubernetes;
  // With the clausegate environment: the expressions Kubernetes 1.37 would refuse,
  // with its reason (lint reports them; an empty list means the policy would run
  // as a ValidatingAdmissionPolicy all the same).
  std::vector<Issue> not_vap;
  Slots slots;
};

struct ExceptionTarget {
  std::string policy;
  std::vector<std::string> rules;  // empty: every rule of the policy
};

struct PolicyException {
  std::string name;
  std::string namespace_name;  // metadata.namespace; "" for one kept in a file without it
  bool confined = false;       // waives only objects in namespace_name
  // "team-a/break-glass", or the name alone.
  std::string DisplayName() const { return namespace_name.empty() ? name : namespace_name + "/" + name; }
  std::vector<ExceptionTarget> targets;
  std::vector<std::string> namespaces;  // empty: any
  std::vector<std::string> names;       // object names; empty: any
  std::vector<std::string> kinds;       // empty: any
  std::string justification;
  std::string ticket;
  std::optional<clausegate::Timestamp> expires;
  Origin origin;
  // Why the exception has no effect, if it has none (incomplete); expiry is
  // judged at evaluation time against `now`.
  std::vector<std::string> incomplete;
};

// What an exception does at `now`: waives (complete, expiring after now), has
// expired (complete, its expiry past), or does nothing (incomplete, no expiry).
enum class ExceptionState { kInForce, kExpired, kNoEffect };
ExceptionState StateAt(const PolicyException& ex, const clausegate::Timestamp& now);
// "in force until T", "EXPIRED T", "incomplete (ticket): no effect", "no expiry: no effect".
std::string DescribeStateAt(const PolicyException& ex, const clausegate::Timestamp& now);

struct Control {
  std::string id;      // "CLD.9.5.2"
  std::string title;
  std::string domain;
  Enforcement enforcement = Enforcement::kOrganisational;
  std::string rationale;
};

struct Catalogue {
  std::string name;
  std::string standard;  // "ISO/IEC 27017"
  std::string prefix;    // "ISO27017"
  std::string edition;
  std::vector<Control> controls;
  Origin origin;
};

}  // namespace clausegate::policy

namespace clausegate::policy {

// kubectl label-selector syntax: "a=b,c!=d,e in (x,y),f notin (z),g,!h".
std::optional<LabelSelector> ParseLabelSelector(std::string_view text, std::string* error);

}  // namespace clausegate::policy
