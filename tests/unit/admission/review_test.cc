// AdmissionReview in, AdmissionReview out: the contract of admission.k8s.io/v1.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "admission/review.h"
#include "policy/loader.h"

using namespace clausegate;
using Json = nlohmann::json;

namespace {

const char* kPolicies = R"yaml(
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: no-privileged}
spec:
  controls: ["ISO27017:CLD.9.5.2", "ISO27002:9.2.3"]
  severity: high
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: ["*"]}]
  validations:
    - name: no-privileged
      expression: "request.operation == 'DELETE' || object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))"
      message: "privileged containers are not allowed"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: hints}
spec:
  controls: ["ISO27002:8.1.2"]
  severity: low
  action: Warn
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  validations:
    - name: long
      expression: "false"
      messageExpression: "'x'.format([]) + lists.range(100).map(i, 'long warning text').join(' ')"
---
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata: {name: record}
spec:
  controls: ["ISO27002:12.4.1"]
  action: Audit
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [UPDATE]}]
  validations:
    - name: changed
      expression: "oldObject.metadata.?labels == object.metadata.?labels"
      message: "labels changed"
)yaml";

struct Fixture {
  std::unique_ptr<engine::PolicySet> set;
  json::Decoder decoder;
  Fixture() {
    auto loaded = policy::LoadPolicies({{"p.yaml", kPolicies}});
    for (const auto& i : loaded.issues) FAIL(i.ToString());
    set = std::make_unique<engine::PolicySet>(std::move(loaded.policies), std::move(loaded.exceptions));
  }
  admission::ReviewResult Run(const std::string& body) { return admission::HandleReview(body, *set, decoder, {}); }
};

std::string Review(const std::string& op, const std::string& object, const std::string& old = "null", bool dry = false) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
         R"("kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},)"
         R"("namespace":"default","name":"web","operation":")" + op + R"(","userInfo":{"username":"alice"},)"
         R"("object":)" + object + R"(,"oldObject":)" + old + R"(,"dryRun":)" + (dry ? "true" : "false") + "}}";
}

const std::string kPrivileged = R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}})";
const std::string kPlain = R"({"metadata":{"name":"web","labels":{"a":"1"}},"spec":{"containers":[{"name":"a"}]}})";

}  // namespace

TEST_CASE("review: a denial is a 403 with the message and clause ids", "[admission]") {
  Fixture f;
  auto r = f.Run(Review("CREATE", kPrivileged));
  REQUIRE(r.http_status == 200);
  auto j = Json::parse(r.body);
  CHECK(j["apiVersion"] == "admission.k8s.io/v1");
  CHECK(j["kind"] == "AdmissionReview");
  CHECK(j["response"]["uid"] == "u-1");
  CHECK(j["response"]["allowed"] == false);
  CHECK(j["response"]["status"]["code"] == 403);
  CHECK(j["response"]["status"]["reason"] == "Forbidden");
  CHECK(j["response"]["status"]["message"] ==
        "[clausegate] Pod default/web denied by 1 rule:\n"
        "- no-privileged/no-privileged (ISO/IEC 27017 CLD.9.5.2; ISO/IEC 27002 9.2.3):\n"
        "  privileged containers are not allowed");
  CHECK_FALSE(j["response"].contains("patch"));
  CHECK_FALSE(j["response"].contains("patchType"));
  // Written field by field, the answer is the JSON library's own: sorted keys, one line.
  CHECK(r.body == j.dump());
}

TEST_CASE("review: warnings are bounded, audit annotations keyed without '/'", "[admission]") {
  Fixture f;
  std::string body = f.Run(Review("UPDATE", kPlain, R"({"metadata":{"name":"web"},"spec":{"containers":[]}})")).body;
  auto j = Json::parse(body);
  CHECK(body == j.dump());
  CHECK(j["response"]["allowed"] == true);
  REQUIRE(j["response"]["warnings"].size() == 1);
  std::string w = j["response"]["warnings"][0];
  CHECK(w.size() <= admission::kMaxWarningLength);
  CHECK(w.starts_with("hints/long: "));
  CHECK(w.find("Warning:") == std::string::npos);
  REQUIRE(j["response"]["auditAnnotations"].size() == 1);
  for (auto& [k, v] : j["response"]["auditAnnotations"].items()) {
    CHECK(k.find('/') == std::string::npos);
    CHECK(v == "record/changed: labels changed");
  }
}

TEST_CASE("review: DELETE, dryRun and CONNECT", "[admission]") {
  Fixture f;
  CHECK(Json::parse(f.Run(Review("DELETE", "null", kPrivileged)).body)["response"]["allowed"] == true);
  // dryRun requests are judged the same way.
  CHECK(Json::parse(f.Run(Review("CREATE", kPrivileged, "null", true)).body)["response"]["allowed"] == false);
  // CONNECT to pods/exec: no policy names the subresource, so it is allowed.
  std::string connect = Review("CONNECT", "null");
  connect.replace(connect.find(R"("namespace")"), 0, R"("subResource":"exec",)");
  CHECK(Json::parse(f.Run(connect).body)["response"]["allowed"] == true);
}

TEST_CASE("review: bad requests get a status and a one-line reason", "[admission]") {
  Fixture f;
  auto bad = [&](const std::string& body) { return f.Run(body); };
  CHECK(bad("not json").http_status == 400);
  CHECK(bad("[1,2]").http_status == 400);
  CHECK(bad(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}})").body ==
        "body is not an admission.k8s.io/v1 AdmissionReview");
  CHECK(bad(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})").body == "AdmissionReview has no request");
  CHECK(bad(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}})").body ==
        "AdmissionReview request has no uid");
  std::string deep = std::string(500, '[') + std::string(500, ']');
  auto d = bad(deep);
  CHECK(d.http_status == 400);
  CHECK(d.body.find("nesting too deep") != std::string::npos);
  json::DecodeLimits small;
  small.max_bytes = 64;
  json::Decoder tiny(small);
  auto big = admission::HandleReview(Review("CREATE", kPlain), *f.set, tiny, {});
  CHECK(big.http_status == 413);
  for (const auto& r : {bad("not json"), d, big}) CHECK(r.body.find('\n') == std::string::npos);
}

TEST_CASE("review: a request with fields of the wrong JSON type is a bad request, never a verdict", "[admission]") {
  Fixture f;
  auto reason = [&](std::string body) {
    auto r = f.Run(body);
    INFO(body);
    CHECK(r.http_status == 400);
    CHECK_FALSE(r.reviewed);
    return r.body;
  };
  auto with = [](std::string review, const std::string& from, const std::string& to) {
    auto at = review.find(from);
    REQUIRE(at != std::string::npos);
    return review.replace(at, from.size(), to);
  };
  std::string ok = Review("CREATE", kPlain);
  CHECK(reason(with(ok, R"("operation":"CREATE")", R"("operation":"PATCH")")) ==
        "AdmissionReview request.operation must be CREATE, UPDATE, DELETE or CONNECT");
  CHECK(reason(with(ok, R"("operation":"CREATE",)", "")) ==
        "AdmissionReview request.operation must be CREATE, UPDATE, DELETE or CONNECT");
  CHECK(reason(with(ok, R"("operation":"CREATE")", R"("operation":7)")).find("request.operation") != std::string::npos);
  CHECK(reason(Review("CREATE", "[1]")) == "AdmissionReview request.object must be an object");
  CHECK(reason(Review("CREATE", "null")) == "AdmissionReview request.object must be an object for CREATE");
  CHECK(reason(Review("UPDATE", kPlain, "\"x\"")) == "AdmissionReview request.oldObject must be an object");
  CHECK(reason(Review("UPDATE", kPlain, "null")) == "AdmissionReview request.oldObject must be an object for UPDATE");
  CHECK(reason(with(ok, R"("kind":{"group":"","version":"v1","kind":"Pod"})", R"("kind":"Pod")")) ==
        "AdmissionReview request.kind must be an object");
  CHECK(reason(with(ok, R"("resource":"pods")", R"("resource":5)")) == "AdmissionReview request.resource.resource must be a string");
  CHECK(reason(with(ok, R"("namespace":"default")", R"("namespace":["default"])")) ==
        "AdmissionReview request.namespace must be a string");
  CHECK(reason(with(ok, R"("dryRun":false)", R"("dryRun":"false")")) == "AdmissionReview request.dryRun must be a boolean");
  CHECK(reason(with(ok, R"("userInfo":{"username":"alice"})", R"("userInfo":{"username":"alice","groups":"admins"})")) ==
        "AdmissionReview request.userInfo.groups must be a list of strings");
  CHECK(reason(with(ok, R"("userInfo":{"username":"alice"})", R"("userInfo":{"groups":["a",1]})")) ==
        "AdmissionReview request.userInfo.groups must be a list of strings");
  CHECK(reason(with(ok, R"("uid":"u-1")", R"("uid":")" + std::string(129, 'u') + "\"")) ==
        "AdmissionReview request.uid is longer than 128 bytes");
  CHECK(reason(with(ok, R"("uid":"u-1")", R"("uid":1)")) == "AdmissionReview request has no uid");
  // A uid of the longest accepted length is echoed.
  auto longest = f.Run(with(ok, R"("uid":"u-1")", R"("uid":")" + std::string(128, 'u') + "\""));
  CHECK(longest.http_status == 200);
}

TEST_CASE("review: a key given twice in the request keeps its last value", "[admission]") {
  Fixture f;
  // The privileged container first, then a plain one under the same key: the last wins,
  // as the API server's decoding would have it.
  std::string body = Review("CREATE", kPlain);
  body.replace(body.find(R"("object":)"), 0, R"("object":)" + kPrivileged + ",");
  auto r = f.Run(body);
  REQUIRE(r.http_status == 200);
  CHECK(Json::parse(r.body)["response"]["allowed"] == true);
  std::string reversed = Review("CREATE", kPrivileged);
  reversed.replace(reversed.find(R"("object":)"), 0, R"("object":)" + kPlain + ",");
  CHECK(Json::parse(f.Run(reversed).body)["response"]["allowed"] == false);
}

TEST_CASE("review: the nesting bound is 128 levels, as documented", "[admission]") {
  Fixture f;
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  CHECK(f.Run(nested(128)).body == "body is not a JSON object");  // decoded: within the bound
  auto over = f.Run(nested(129));
  CHECK(over.http_status == 400);
  CHECK(over.body.find("nesting too deep (limit 128)") != std::string::npos);
}
