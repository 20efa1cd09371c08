// The policy loader: schema errors with exact FILE:LINE:COL, clause resolution,
// CEL compilation with the policy environment, exceptions and catalogues.

#include <catch2/catch.hpp>

#include "policy/loader.h"

using namespace clausegate;
using namespace clausegate::policy;

namespace {

LoadResult Load(const std::string& text, const std::string& file = "p.yaml") { return LoadPolicies({{file, text}}); }

std::vector<std::string> Issues(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& i : r.issues) out.push_back(i.ToString());
  return out;
}

const char* kHeader =
    "apiVersion: clausegate.io/v1alpha1\n"  // 1
    "kind: CompliancePolicy\n"              // 2
    "metadata:\n"                           // 3
    "  name: p\n"                           // 4
    "spec:\n";                              // 5

const char* kMatch =
    "  match:\n"
    "    resources:\n"
    "      - apiGroups: ['']\n"
    "        apiVersions: [v1]\n"
    "        resources: [pods]\n";

}  // namespace

TEST_CASE("loader: a complete policy loads and compiles", "[policy]") {
  auto r = Load(std::string(kHeader) + "  controls: ['ISO27017:CLD.9.5.2']\n" + "  severity: high\n" + kMatch +
                "  variables:\n"
                "    - name: cs\n"
                "      expression: object.spec.containers\n"
                "    - name: names\n"
                "      expression: variables.cs.map(c, c.name)\n"
                "  validations:\n"
                "    - name: ok\n"
                "      expression: variables.names.size() > 0 && request.operation == 'CREATE'\n"
                "      messageExpression: \"'no containers in ' + object.metadata.name\"\n"
                "      controls: ['ISO27002:9.2.3']\n"
                "      action: Warn\n");
  INFO(Issues(r).size());
  REQUIRE(r.ok());
  REQUIRE(r.policies.size() == 1);
  const Policy& p = r.policies[0];
  CHECK(p.severity == Severity::kHigh);
  CHECK(p.action == Action::kDeny);
  CHECK(p.match.resources[0].operations == std::vector<std::string>{"CREATE", "UPDATE"});  // the default
  REQUIRE(p.validations.size() == 1);
  CHECK(p.validations[0].action == Action::kWarn);
  REQUIRE(p.validations[0].controls.size() == 2);
  CHECK(p.validations[0].controls[0].standard == "ISO/IEC 27017");
  CHECK(p.validations[0].controls[0].clause == "CLD.9.5.2");
  CHECK(p.validations[0].controls[1].standard == "ISO/IEC 27002");
  CHECK(p.validations[0].message_expression.has_value());
  CHECK(p.variables.size() == 2);
  CHECK(p.slots.variables.size() == 2);
  CHECK(r.catalogues.size() >= 2);  // the shipped ones
}

TEST_CASE("loader: every schema error with its position", "[policy]") {
  auto r = Load(std::string(kHeader) +
                "  controls: ['ISO27017:CLD.99.1', 'nonsense']\n"  // 6
                "  action: Block\n"                                 // 7
                "  colour: red\n"                                   // 8
                "  severity: 3\n"                                   // 9
                "  failurePolicy: fail\n"                           // 10
                "  match:\n"                                        // 11
                "    resources:\n"                                  // 12
                "      - resources: [pods]\n"                       // 13
                "        operations: [CREATE, PATCH]\n"             // 14
                "    podTemplates: 'yes'\n"                         // 15
                "    namespaceSelector:\n"                          // 16
                "      matchExpressions:\n"                         // 17
                "        - {key: tier, operator: In}\n"             // 18
                "        - {key: env, operator: Exists, values: [a]}\n"  // 19
                "        - {key: x, operator: Near, values: [a]}\n"      // 20
                "  validations:\n"                                  // 21
                "    - name: a\n"                                   // 22
                "      expression: 'object.x +'\n"                  // 23
                "    - name: a\n"                                   // 24
                "      expression: nope(1)\n"                       // 25
                "    - name: c\n"                                   // 26
                "      expresion: 'true'\n"                         // 27
                "    - expression: 'true'\n");                      // 28
  CHECK(Issues(r) == std::vector<std::string>{
                         "p.yaml:8:3: unknown field \"spec.colour\"",
                         "p.yaml:6:14: spec.controls[0]: unknown clause \"ISO27017:CLD.99.1\" (not in the controls "
                         "catalogue; write e.g. \"ISO27017:CLD.9.5.2\")",
                         "p.yaml:6:35: spec.controls[1]: unknown clause \"nonsense\" (not in the controls catalogue; "
                         "write e.g. \"ISO27017:CLD.9.5.2\")",
                         "p.yaml:7:11: spec.action: \"Block\" is not one of Deny, Warn, Audit",
                         "p.yaml:9:13: spec.severity: \"3\" is not one of low, medium, high, critical",
                         "p.yaml:10:18: spec.failurePolicy: \"fail\" is not one of Fail, Ignore",
                         "p.yaml:14:21: spec.match.resources[0].operations: \"PATCH\" is not one of CREATE, UPDATE, "
                         "DELETE, CONNECT, *",
                         "p.yaml:15:19: spec.match.podTemplates: must be true or false",
                         "p.yaml:18:11: spec.match.namespaceSelector.matchExpressions[0]: operator In needs values",
                         "p.yaml:19:48: spec.match.namespaceSelector.matchExpressions[1]: operator Exists takes no "
                         "values",
                         "p.yaml:20:30: spec.match.namespaceSelector.matchExpressions[2].operator: \"Near\" is not one "
                         "of In, NotIn, Exists, DoesNotExist",
                         "p.yaml:23:30: spec.validations[0].expression: unexpected end of expression",
                         "p.yaml:24:13: spec.validations[1]: duplicate rule name \"a\"",
                         "p.yaml:25:19: spec.validations[1].expression: undeclared reference to 'nope' (in container '')",
                         "p.yaml:27:7: unknown field \"spec.validations[2].expresion\"",
                         "p.yaml:26:7: missing required field \"spec.validations[2].expression\"",
                         "p.yaml:28:7: missing required field \"spec.validations[3].name\"",
                     });
}

TEST_CASE("loader: label selectors need valid keys and values", "[policy]") {
  auto r = Load(std::string(kHeader) +
                "  match:\n"                                                           // 6
                "    resources: [{resources: [pods]}]\n"                               // 7
                "    objectSelector:\n"                                                // 8
                "      matchLabels: {'bad key': x}\n"                                  // 9
                "      matchExpressions: [{key: tier, operator: In, values: ['-x']}]\n"  // 10
                "  validations: [{name: r, expression: 'true'}]\n");
  REQUIRE(r.issues.size() == 2);
  CHECK(r.issues[0].ToString().starts_with("p.yaml:9:20: spec.match.objectSelector.matchLabels: invalid label key \"bad key\""));
  CHECK(r.issues[1].ToString().starts_with("p.yaml:10:60: spec.match.objectSelector.matchExpressions[0].values: invalid label value \"-x\""));
}

TEST_CASE("loader: params are decoded once for `params`", "[policy]") {
  auto r = Load(std::string(kHeader) + kMatch + "  params: {registries: [a.io, b.io], max: 3}\n" +
                "  validations: [{name: r, expression: 'params.max == 3 && \"a.io\" in params.registries'}]\n");
  REQUIRE(r.ok());
  REQUIRE(r.policies[0].params);
  CHECK(simdjson::minify(r.policies[0].params->root()) == R"({"registries":["a.io","b.io"],"max":3})");
}

TEST_CASE("loader: CEL errors in block scalars point into the file", "[policy]") {
  auto r = Load(std::string(kHeader) + kMatch +
                "  validations:\n"                      // 11
                "    - name: a\n"                       // 12
                "      expression: |\n"                 // 13
                "        object.metadata.name != '' &&\n"  // 14
                "          unknownVar == 1\n");            // 15
  REQUIRE(Issues(r).size() == 1);
  CHECK(Issues(r)[0] == "p.yaml:15:11: spec.validations[0].expression: undeclared reference to 'unknownVar' (in container '')");
  // A resource read from the API server has no file: the position is the field's.
  CHECK(r.issues[0].ToFieldString() ==
        "spec.validations[0].expression:2:3: undeclared reference to 'unknownVar' (in container '')");
}

TEST_CASE("loader: a resource as the API server returns it (metadata it adds, status) loads", "[policy]") {
  auto r = Load(std::string(
                    "apiVersion: clausegate.io/v1alpha1\n"
                    "kind: CompliancePolicy\n"
                    "metadata:\n"
                    "  name: p\n"
                    "  uid: 0b0e-1\n"
                    "  resourceVersion: '812'\n"
                    "  generation: 3\n"
                    "  creationTimestamp: '2026-12-01T10:00:00Z'\n"
                    "  finalizers: []\n"
                    "  managedFields: [{manager: kubectl, operation: Update}]\n"
                    "spec:\n") +
                kMatch +
                "  validations: [{name: a, expression: 'true'}]\n"
                "status:\n"
                "  observedGeneration: 2\n"
                "  conditions: [{type: Ready, status: 'False'}]\n");
  CHECK(Issues(r).empty());
  CHECK(r.policies.size() == 1);
}

TEST_CASE("loader: an exception kept in a namespace is confined to it, unless it is the controller's", "[policy]") {
  const std::string text =
      "apiVersion: clausegate.io/v1alpha1\n"
      "kind: CompliancePolicyException\n"
      "metadata: {name: e, namespace: team-a}\n"
      "spec: {policies: [{name: p}]}\n"
      "---\n"
      "apiVersion: clausegate.io/v1alpha1\n"
      "kind: CompliancePolicyException\n"
      "metadata: {name: g, namespace: clausegate-system}\n"
      "spec: {policies: [{name: p}]}\n"
      "---\n"
      "apiVersion: clausegate.io/v1alpha1\n"
      "kind: CompliancePolicyException\n"
      "metadata: {name: f}\n"
      "spec: {policies: [{name: p}]}\n";
  LoadOptions options;
  options.controller_namespace = "clausegate-system";
  auto r = LoadPolicies({{"e.yaml", text}}, options);
  REQUIRE(r.exceptions.size() == 3);
  CHECK(r.exceptions[0].confined);
  CHECK(r.exceptions[0].DisplayName() == "team-a/e");
  CHECK_FALSE(r.exceptions[1].confined);
  CHECK_FALSE(r.exceptions[2].confined);
  CHECK(r.exceptions[2].DisplayName() == "f");
  // Without a controller namespace, every namespaced exception is confined.
  auto plain = LoadPolicies({{"e.yaml", text}});
  CHECK(plain.exceptions[1].confined);
}

TEST_CASE("loader: variables see only the variables before them", "[policy]") {
  auto r = Load(std::string(kHeader) + kMatch +
                "  variables:\n"                                    // 11
                "    - name: a\n"                                   // 12
                "      expression: variables.b + 1\n"               // 13
                "    - name: b\n"                                   // 14
                "      expression: '1'\n"                           // 15
                "  validations:\n"                                  // 16
                "    - name: r\n"                                   // 17
                "      expression: variables.a == variables.b\n");  // 18
  CHECK(Issues(r) == std::vector<std::string>{
                         "p.yaml:13:19: spec.variables[0].expression: undeclared reference to 'variables.b' (in container '')"});
}

TEST_CASE("loader: required fields, kinds and versions", "[policy]") {
  CHECK(Issues(Load("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")) ==
        std::vector<std::string>{"p.yaml:1:13: apiVersion \"v1\" is not clausegate.io/v1alpha1"});
  CHECK(Issues(Load("apiVersion: clausegate.io/v1alpha1\nkind: Policy\n")) ==
        std::vector<std::string>{
            "p.yaml:2:7: kind \"Policy\" is not CompliancePolicy, CompliancePolicyException or ControlCatalogue"});
  CHECK(Issues(Load(std::string(kHeader) + "  action: Deny\n")) ==
        std::vector<std::string>{"p.yaml:6:3: missing required field \"spec.match\"",
                                 "p.yaml:6:3: missing required field \"spec.validations\""});
  CHECK(Issues(Load("a: [1\n")).size() == 1);  // YAML syntax error
  auto twice = LoadPolicies({{"a.yaml", std::string(kHeader) + kMatch + "  validations: [{name: r, expression: 'true'}]\n"},
                             {"b.yaml", std::string(kHeader) + kMatch + "  validations: [{name: r, expression: 'true'}]\n"}});
  CHECK(Issues(twice) == std::vector<std::string>{"b.yaml:4:9: duplicate policy name \"p\" (also defined at a.yaml:1)"});
}

TEST_CASE("loader: exceptions, complete and incomplete", "[policy]") {
  auto r = Load(
      "apiVersion: clausegate.io/v1alpha1\n"
      "kind: CompliancePolicyException\n"
      "metadata: {name: ok}\n"
      "spec:\n"
      "  policies: [{name: p, rules: [r]}]\n"
      "  match: {namespaces: [shop], kinds: [Pod]}\n"
      "  justification: vendor image needs it until 2.0\n"
      "  ticket: CHG-1\n"
      "  expires: '2030-01-01T00:00:00Z'\n"
      "---\n"
      "apiVersion: clausegate.io/v1alpha1\n"
      "kind: CompliancePolicyException\n"
      "metadata: {name: incomplete}\n"
      "spec:\n"
      "  policies: [{name: p}]\n");
  REQUIRE(r.ok());
  REQUIRE(r.exceptions.size() == 2);
  CHECK(r.exceptions[0].incomplete.empty());
  CHECK(r.exceptions[0].targets[0].rules == std::vector<std::string>{"r"});
  CHECK(r.exceptions[1].incomplete ==
        std::vector<std::string>{"has no spec.justification", "has no spec.ticket", "has no spec.expires"});
}

TEST_CASE("loader: the shipped catalogues", "[policy]") {
  auto r = LoadPolicies({});
  REQUIRE(r.ok());
  size_t total = 0;
  for (const auto& c : r.catalogues) total += c.controls.size();
  CHECK(total == 121);  // 114 ISO/IEC 27002:2013 controls + 7 ISO/IEC 27017 cloud controls
}

TEST_CASE("label selectors: kubectl syntax and matching", "[policy]") {
  std::string err;
  auto s = ParseLabelSelector("tier=web, env!=prod, team in (a, b), zone notin (x), managed, !legacy", &err);
  REQUIRE(s);
  CHECK(s->requirements.size() == 6);
  CHECK(s->Matches({{"tier", "web"}, {"team", "a"}, {"managed", ""}}));
  CHECK_FALSE(s->Matches({{"tier", "web"}, {"team", "a"}, {"managed", ""}, {"legacy", "1"}}));
  CHECK_FALSE(s->Matches({{"tier", "web"}, {"team", "c"}, {"managed", ""}}));
  CHECK_FALSE(s->Matches({{"tier", "web"}, {"team", "a"}, {"managed", ""}, {"env", "prod"}}));
  CHECK(ParseLabelSelector("a==b", &err)->Matches({{"a", "b"}}));
  CHECK(ParseLabelSelector("", &err)->Matches({}));
  CHECK_FALSE(ParseLabelSelector("a in (b", &err));
  CHECK_FALSE(ParseLabelSelector("a in ()", &err));
  CHECK_FALSE(ParseLabelSelector("a b", &err));
  CHECK_FALSE(ParseLabelSelector("a=b c", &err));
}

TEST_CASE("loader: reading the shipped catalogues again does not double them", "[policy]") {
  auto shipped = ShippedCatalogues();
  REQUIRE_FALSE(shipped.empty());
  auto r = LoadPolicies({{"policies/controls/again.yaml", shipped[0].text}});
  REQUIRE(r.ok());
  CHECK(r.catalogues.size() == shipped.size());
}

TEST_CASE("loader: audit annotations need valid, unique keys and an expression", "[policy]") {
  std::string base = std::string(kHeader) + kMatch + "  validations: [{name: r, expression: 'true'}]\n";
  auto ok = Load(base + "  auditAnnotations: [{key: ticket, valueExpression: 'string(object.metadata.name)'}]\n");
  REQUIRE(ok.ok());
  REQUIRE(ok.policies[0].audit_annotations.size() == 1);
  CHECK(ok.policies[0].audit_annotations[0].key == "ticket");
  auto bad = Load(base +
                  "  auditAnnotations:\n"                                   // 12
                  "    - {key: 'a/b', valueExpression: 'x'}\n"              // 13
                  "    - {key: ok, valueExpression: 'nope('}\n"             // 14
                  "    - {key: ok, valueExpression: \"'1'\"}\n"                 // 15
                  "    - {key: none}\n");                                   // 16
  auto issues = Issues(bad);
  REQUIRE(issues.size() >= 4);
  CHECK(issues[0].starts_with("p.yaml:13:13: spec.auditAnnotations[0].key: \"p.a/b\" (policy name, '.', key) is not a valid audit annotation key"));
  CHECK(issues[1].starts_with("p.yaml:13:"));  // unknown name x
  CHECK(issues[2].starts_with("p.yaml:14:"));
  CHECK(issues[3] == "p.yaml:15:13: spec.auditAnnotations[2]: duplicate key \"ok\"");
  CHECK(issues[4] == "p.yaml:16:7: missing required field \"spec.auditAnnotations[3].valueExpression\"");
}

TEST_CASE("loader: params are compiled in; a regex drawn from them is checked at load", "[policy]") {
  auto ok = Load(std::string(kHeader) + kMatch + "  params: {pattern: '^[A-Z]+-[0-9]+$'}\n" +
                 "  validations: [{name: r, expression: 'object.metadata.name.matches(params.pattern)'}]\n");
  REQUIRE(ok.ok());
  auto bad = Load(std::string(kHeader) + kMatch + "  params: {pattern: '(unclosed'}\n" +
                  "  validations: [{name: r, expression: 'object.metadata.name.matches(params.pattern)'}]\n");
  auto issues = Issues(bad);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].find("p.yaml:12:") == 0);
  CHECK(issues[0].find("spec.validations[0].expression") != std::string::npos);
}
