#include "admission/review.h"

#include <algorithm>

#include "json/json_line.h"

namespace clausegate::admission {
namespace {

ReviewResult Bad(int status, std::string reason, std::string label) {
  ReviewResult r;
  r.http_status = status;
  r.body = std::move(reason);
  r.bad_reason = std::move(label);
  return r;
}


// Cuts text to at most `max` bytes without splitting a UTF-8 sequence.
std::string Bounded(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

}  // namespace

std::optional<std::string> RequestProblem(const cel::Value& request) {
  auto field = [&](std::string_view key) { return request.MapFindString(key); };
  auto is = [](const std::optional<cel::Value>& v, cel::Kind k) { return v && v->kind() == k; };
  auto absent_or = [](const std::optional<cel::Value>& v, cel::Kind k) {
    return !v || v->kind() == cel::Kind::kNull || v->kind() == k;
  };
  auto uid = field("uid");
  if (!is(uid, cel::Kind::kString)) return "request.uid must be a string";
  if (uid->string_value().size() > kMaxUidLength) {
    return "request.uid is longer than " + std::to_string(kMaxUidLength) + " bytes";
  }
  auto operation = field("operation");
  if (!is(operation, cel::Kind::kString)) return "request.operation must be CREATE, UPDATE, DELETE or CONNECT";
  std::string_view op = operation->string_value();
  if (op != "CREATE" && op != "UPDATE" && op != "DELETE" && op != "CONNECT") {
    return "request.operation must be CREATE, UPDATE, DELETE or CONNECT";
  }
  // GroupVersionKind and GroupVersionResource: objects of strings.
  for (const char* gv : {"kind", "resource"}) {
    auto v = field(gv);
    if (!is(v, cel::Kind::kMap)) return std::string("request.") + gv + " must be an object";
    for (const char* part : {"group", "version", gv}) {
      auto p = v->MapFindString(part);
      if (!absent_or(p, cel::Kind::kString)) return std::string("request.") + gv + "." + part + " must be a string";
    }
  }
  for (const char* s : {"subResource", "namespace", "name"}) {
    if (!absent_or(field(s), cel::Kind::kString)) return std::string("request.") + s + " must be a string";
  }
  if (!absent_or(field("dryRun"), cel::Kind::kBool)) return "request.dryRun must be a boolean";
  auto user = field("userInfo");
  if (!absent_or(user, cel::Kind::kMap)) return "request.userInfo must be an object";
  if (user && user->kind() == cel::Kind::kMap) {
    if (!absent_or(user->MapFindString("username"), cel::Kind::kString)) return "request.userInfo.username must be a string";
    auto groups = user->MapFindString("groups");
    if (!absent_or(groups, cel::Kind::kList)) return "request.userInfo.groups must be a list of strings";
    bool strings = true;
    if (groups && groups->kind() == cel::Kind::kList) {
      groups->ForEachElement([&](const cel::Value& g) { return strings = g.kind() == cel::Kind::kString; });
    }
    if (!strings) return "request.userInfo.groups must be a list of strings";
  }
  // The objects: what the operation needs must be there, and what is there must be an object.
  auto object = field("object"), old_object = field("oldObject");
  if (!absent_or(object, cel::Kind::kMap)) return "request.object must be an object";
  if (!absent_or(old_object, cel::Kind::kMap)) return "request.oldObject must be an object";
  bool has_object = is(object, cel::Kind::kMap), has_old = is(old_object, cel::Kind::kMap);
  if ((op == "CREATE" || op == "UPDATE") && !has_object) return "request.object must be an object for " + std::string(op);
  if (op == "UPDATE" && !has_old) return "request.oldObject must be an object for UPDATE";
  return std::nullopt;
}

engine::RequestInfo RequestInfoOf(const cel::Value& request) {
  engine::RequestInfo info;
  info.uid = engine::StringAt(request, {"uid"});
  info.operation = engine::StringAt(request, {"operation"});
  info.group = engine::StringAt(request, {"kind", "group"});
  info.version = engine::StringAt(request, {"kind", "version"});
  info.kind = engine::StringAt(request, {"kind", "kind"});
  info.resource = engine::StringAt(request, {"resource", "resource"});
  info.sub_resource = engine::StringAt(request, {"subResource"});
  info.namespace_name = engine::StringAt(request, {"namespace"});
  info.name = engine::StringAt(request, {"name"});
  info.username = engine::StringAt(request, {"userInfo", "username"});
  if (request.kind() != cel::Kind::kMap) return info;
  if (auto user = request.MapFindString("userInfo"); user && user->kind() == cel::Kind::kMap) {
    if (auto groups = user->MapFindString("groups"); groups && groups->kind() == cel::Kind::kList) {
      groups->ForEachElement([&](const cel::Value& g) {
        if (g.kind() == cel::Kind::kString) info.groups.emplace_back(g.string_value());
        return true;
      });
    }
  }
  auto dry = request.MapFindString("dryRun");
  info.dry_run = dry && dry->kind() == cel::Kind::kBool && dry->bool_value();
  return info;
}

ReviewResult HandleReview(std::string_view body, const engine::PolicySet& policies, json::Decoder& decoder,
                          const ReviewOptions& options) {
  auto decoded = decoder.Decode(body);
  if (!decoded.ok()) {
    bool too_big = decoded.status().code() == StatusCode::kResourceExhausted;
    bool too_deep = decoded.status().message().find("nesting too deep") != std::string::npos;
    return Bad(too_big ? 413 : 400, decoded.status().message(), too_big ? "too_large" : too_deep ? "too_deep" : "not_json");
  }
  cel::Value review = cel::Value::Json(**decoded);
  if (review.kind() != cel::Kind::kMap) return Bad(400, "body is not a JSON object", "not_review");
  std::string api_version = engine::StringAt(review, {"apiVersion"});
  if (api_version != "admission.k8s.io/v1" || engine::StringAt(review, {"kind"}) != "AdmissionReview") {
    return Bad(400, "body is not an admission.k8s.io/v1 AdmissionReview", "not_review");
  }
  auto request = review.MapFindString("request");
  if (!request || request->kind() != cel::Kind::kMap) return Bad(400, "AdmissionReview has no request", "no_request");
  std::string uid = engine::StringAt(*request, {"uid"});
  if (uid.empty()) return Bad(400, "AdmissionReview request has no uid", "no_uid");
  if (auto problem = RequestProblem(*request)) return Bad(400, "AdmissionReview " + *problem, "bad_request_field");

  ReviewResult result;
  engine::Input in;
  in.info = RequestInfoOf(*request);
  const engine::RequestInfo& info = in.info;
  in.object = request->MapFindString("object").value_or(cel::Value::Null());
  in.old_object = request->MapFindString("oldObject").value_or(cel::Value::Null());
  in.request = *request;
  in.now = options.now;
  in.deadline = options.deadline;
  if (options.namespaces && !info.namespace_name.empty()) {
    auto it = options.namespaces->find(info.namespace_name);
    if (it != options.namespaces->end()) {
      in.namespace_labels = it->second.labels;
      if (it->second.object) {
        in.namespace_object = cel::Value::Json(*it->second.object);
        in.keep_alive.push_back(it->second.object);
      }
    }
  }
  in.keep_alive.push_back(*decoded);

  result.decision = policies.Evaluate(in);
  result.info = info;
  result.reviewed = true;

  // Keys in the order the API server's own encoder writes them (sorted), so that an
  // answer reads the same whichever way it was made.
  json::JsonLine out;
  out.String("apiVersion", api_version).String("kind", "AdmissionReview").Object("response");
  out.Bool("allowed", result.decision.allowed);
  if (!result.decision.audit_annotations.empty()) {
    out.Object("auditAnnotations");
    for (const auto& [k, v] : result.decision.audit_annotations) out.String(k, Bounded(v, kMaxAuditValueLength));
    out.End();
  }
  if (!result.decision.allowed) {
    out.Object("status").Int("code", 403).String("message", result.decision.message).String("reason", "Forbidden").End();
  }
  out.String("uid", uid);
  // Warnings (the engine orders them most severe first): each bounded, and bounded in all.
  std::vector<std::string> warnings;
  size_t total = 0;
  for (const std::string& w : result.decision.warnings) {
    std::string bounded = Bounded(w, kMaxWarningLength);
    if (total + bounded.size() > kMaxWarningsTotal) break;
    total += bounded.size();
    warnings.push_back(std::move(bounded));
  }
  if (!warnings.empty()) out.Strings("warnings", warnings);
  result.body = out.End().Take();
  return result;
}

}  // namespace clausegate::admission
