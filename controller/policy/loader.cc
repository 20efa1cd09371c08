#include "policy/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <span>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "cel/ext/k8s_names.h"
#include "json/yaml.h"
#include "policy/admission_types.h"

namespace clausegate::policy {
namespace fs = std::filesystem;

const char* ToString(Action a) {
  switch (a) {
    case Action::kDeny: return "Deny";
    case Action::kWarn: return "Warn";
    case Action::kAudit: return "Audit";
  }
  return "?";
}
const char* ToString(Severity s) {
  switch (s) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "?";
}
const char* ToString(Enforcement e) {
  switch (e) {
    case Enforcement::kEnforceable: return "enforceable";
    case Enforcement::kPartial: return "partial";
    case Enforcement::kOrganisational: return "organisational";
  }
  return "?";
}

namespace {

constexpr std::string_view kApiVersion = "clausegate.io/v1alpha1";
constexpr size_t kMaxFileBytes = 4 * 1024 * 1024;
// What metadata may hold: what a user writes, and what the API server adds to a
// resource read back from it (kubectl get -o yaml).
constexpr std::string_view kObjectMetaFields[] = {
    "name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp",
    "managedFields", "finalizers", "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds",
    "generateName", "selfLink"};

// Reads one YAML document with positions, collecting issues instead of throwing.
class DocReader {
 public:
  DocReader(const SourceFile& src, std::vector<Issue>* issues) : src_(src), issues_(issues) {}

  SourcePosition Pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return {};
    return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
  }
  Origin OriginOf(const YAML::Node& n) const { return {src_.path, Pos(n)}; }

  void Report(const YAML::Node& at, std::string message) { issues_->push_back({src_.path, Pos(at), std::move(message)}); }
  void ReportAt(SourcePosition pos, std::string message) { issues_->push_back({src_.path, pos, std::move(message)}); }
  // A problem at `in_field` within the value of `field` (an expression), which is
  // at `pos` in the file.
  void ReportInField(SourcePosition pos, const std::string& field, SourcePosition in_field, const std::string& message) {
    issues_->push_back({src_.path, pos, field + ": " + message, field, in_field});
  }

  // The mapping at `n`; reports fields other than `allowed` (and a non-mapping).
  bool Map(const YAML::Node& n, const std::string& path, std::initializer_list<std::string_view> allowed) {
    return Map(n, path, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  bool Map(const YAML::Node& n, const std::string& path, std::span<const std::string_view> allowed) {
    if (!n.IsMap()) {
      Report(n, path + ": must be a mapping");
      return false;
    }
    for (const auto& kv : n) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Report(kv.first, "unknown field \"" + Join(path, key) + "\"");
      }
    }
    return true;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // A string field; `required` reports a missing one.
  std::optional<std::string> String(const YAML::Node& parent, const char* key, const std::string& path,
                                    bool required = false) {
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) Report(parent, "missing required field \"" + Join(path, key) + "\"");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      Report(n, Join(path, key) + ": must be a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<bool> Bool(const YAML::Node& parent, const char* key, const std::string& path) {
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    std::string v = n.IsScalar() ? n.Scalar() : "";
    if (n.IsScalar() && n.Tag() != "!" && (v == "true" || v == "false")) return v == "true";
    Report(n, Join(path, key) + ": must be true or false");
    return std::nullopt;
  }

  std::vector<std::string> Strings(const YAML::Node& parent, const char* key, const std::string& path) {
    std::vector<std::string> out;
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) {
      Report(n, Join(path, key) + ": must be a list of strings");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) {
        Report(n[i], Join(path, key) + "[" + std::to_string(i) + "]: must be a string");
        continue;
      }
      out.push_back(n[i].Scalar());
    }
    return out;
  }

  std::map<std::string, std::string> StringMap(const YAML::Node& parent, const char* key, const std::string& path) {
    std::map<std::string, std::string> out;
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
      Report(n, Join(path, key) + ": must be a mapping of strings");
      return out;
    }
    for (const auto& kv : n) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
        Report(kv.first, Join(path, key) + ": keys and values must be strings");
        continue;
      }
      out[kv.first.Scalar()] = kv.second.Scalar();
    }
    return out;
  }

  template <typename E>
  std::optional<E> Enum(const YAML::Node& parent, const char* key, const std::string& path,
                        std::initializer_list<std::pair<std::string_view, E>> values) {
    auto s = String(parent, key, path);
    if (!s) return std::nullopt;
    for (auto& [name, v] : values) {
      if (name == *s) return v;
    }
    std::string allowed;
    for (auto& [name, v] : values) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
    Report(parent[key], Join(path, key) + ": \"" + *s + "\" is not one of " + allowed);
    return std::nullopt;
  }

  // Where the text of a scalar starts in the file (after a quote, or on the
  // first line of a block scalar), so that CEL positions map into the file.
  SourcePosition ScalarTextStart(const YAML::Node& n, uint32_t cel_line, uint32_t cel_col) const {
    YAML::Mark m = n.Mark();
    if (m.pos < 0 || static_cast<size_t>(m.pos) >= src_.text.size()) return Pos(n);
    char c = src_.text[static_cast<size_t>(m.pos)];
    if (c == '|' || c == '>') {
      // Block scalar: the content starts on the next line at its indentation.
      size_t nl = src_.text.find('\n', static_cast<size_t>(m.pos));
      if (nl == std::string::npos) return Pos(n);
      size_t indent = 0;
      while (nl + 1 + indent < src_.text.size() && src_.text[nl + 1 + indent] == ' ') ++indent;
      return {static_cast<uint32_t>(m.line + 1 + cel_line), static_cast<uint32_t>(indent + cel_col)};
    }
    uint32_t quote = (c == '"' || c == '\'') ? 1 : 0;
    if (cel_line == 1) return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1) + quote + cel_col - 1};
    return {static_cast<uint32_t>(m.line + cel_line), cel_col};
  }

  const SourceFile& source() const { return src_; }

 private:
  const SourceFile& src_;
  std::vector<Issue>* issues_;
};

// --- catalogues ------------------------------------------------------------------

void ReadCatalogue(DocReader& r, const YAML::Node& doc, LoadResult* out) {
  Catalogue cat;
  cat.origin = r.OriginOf(doc);
  YAML::Node meta = doc["metadata"];
  if (r.Map(meta, "metadata", {"name", "labels", "annotations"})) cat.name = r.String(meta, "name", "metadata", true).value_or("");
  YAML::Node spec = doc["spec"];
  if (!r.Map(spec, "spec", {"standard", "prefix", "edition", "controls"})) return;
  cat.standard = r.String(spec, "standard", "spec", true).value_or("");
  cat.prefix = r.String(spec, "prefix", "spec", true).value_or("");
  cat.edition = r.String(spec, "edition", "spec").value_or("");
  YAML::Node controls = spec["controls"];
  if (!controls.IsSequence()) {
    r.Report(spec, "spec.controls: must be a list");
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < controls.size(); ++i) {
    std::string path = "spec.controls[" + std::to_string(i) + "]";
    const YAML::Node& c = controls[i];
    if (!r.Map(c, path, {"id", "title", "domain", "enforcement", "rationale"})) continue;
    Control ctl;
    ctl.id = r.String(c, "id", path, true).value_or("");
    ctl.title = r.String(c, "title", path, true).value_or("");
    ctl.domain = r.String(c, "domain", path).value_or("");
    ctl.rationale = r.String(c, "rationale", path).value_or("");
    ctl.enforcement = r.Enum<Enforcement>(c, "enforcement", path,
                                          {{"enforceable", Enforcement::kEnforceable},
                                           {"partial", Enforcement::kPartial},
                                           {"organisational", Enforcement::kOrganisational}})
                          .value_or(Enforcement::kOrganisational);
    if (!ctl.id.empty() && !seen.insert(ctl.id).second) r.Report(c, path + ": duplicate control id \"" + ctl.id + "\"");
    cat.controls.push_back(std::move(ctl));
  }
  // A catalogue of the same name (the shipped one, read again from policies/)
  // replaces the earlier one rather than doubling it.
  for (Catalogue& existing : out->catalogues) {
    if (existing.name == cat.name) {
      existing = std::move(cat);
      return;
    }
  }
  out->catalogues.push_back(std::move(cat));
}

// --- policies ----------------------------------------------------------------------

class PolicyReader {
 public:
  PolicyReader(DocReader& r, const std::vector<Catalogue>& catalogues, const LoadOptions& options)
      : r_(r), options_(options), catalogues_(catalogues) {}

  std::optional<Policy> Read(const YAML::Node& doc) {
    Policy p;
    p.origin = r_.OriginOf(doc);
    YAML::Node meta = doc["metadata"];
    if (!r_.Map(meta, "metadata", kObjectMetaFields)) {
      return std::nullopt;
    }
    p.name = r_.String(meta, "name", "metadata", true).value_or("");
    p.labels = r_.StringMap(meta, "labels", "metadata");
    p.annotations = r_.StringMap(meta, "annotations", "metadata");
    if (auto it = p.annotations.find("clausegate.io/title"); it != p.annotations.end()) p.title = it->second;

    YAML::Node spec = doc["spec"];
    if (!spec.IsDefined()) {
      r_.Report(doc, "missing required field \"spec\"");
      return std::nullopt;
    }
    if (!r_.Map(spec, "spec", {"controls", "action", "severity", "failurePolicy", "match", "matchConditions",
                               "variables", "validations", "auditAnnotations", "params", "celEnvironment"})) {
      return std::nullopt;
    }
    p.controls = Clauses(spec, "spec");
    p.action = ActionOf(spec, "spec").value_or(Action::kDeny);
    p.severity = r_.Enum<Severity>(spec, "severity", "spec",
                                   {{"low", Severity::kLow}, {"medium", Severity::kMedium},
                                    {"high", Severity::kHigh}, {"critical", Severity::kCritical}})
                     .value_or(Severity::kMedium);
    p.failure_policy = r_.Enum<FailurePolicy>(spec, "failurePolicy", "spec",
                                              {{"Fail", FailurePolicy::kFail}, {"Ignore", FailurePolicy::kIgnore}})
                           .value_or(FailurePolicy::kFail);
    ReadMatch(spec, &p.match);
    if (spec["params"].IsDefined() && !spec["params"].IsNull()) p.params = Params(spec["params"]);

    p.cel_environment = r_.Enum<cel::checker::Profile>(spec, "celEnvironment", "spec",
                                                        {{"kubernetes-1.37", cel::checker::Profile::kKubernetes},
                                                         {"clausegate", cel::checker::Profile::kClausegate}})
                            .value_or(cel::checker::Profile::kKubernetes);
    // The variables as a ValidatingAdmissionPolicy declares them, and `now`. A
    // policy in the clausegate environment is also checked in Kubernetes' own, to
    // say what would keep it from running as a ValidatingAdmissionPolicy.
    auto env = std::make_shared<cel::Env>(p.cel_environment);
    std::optional<cel::Env> vap;
    if (p.cel_environment != cel::checker::Profile::kKubernetes) {
      vap.emplace(cel::checker::Profile::kKubernetes);
      for (const char* dyn : {"object", "oldObject", "params"}) vap->DeclareVariable(dyn);
      vap->DeclareVariable("request", AdmissionRequestType());
      vap->DeclareVariable("namespaceObject", NamespaceObjectType());
      vap->DeclareVariable("now", cel::checker::Type::Timestamp());
      vap->DeclareNamespace("variables");
    }
    vap_ = vap ? &*vap : nullptr;
    not_vap_ = &p.not_vap;
    p.slots.object = env->DeclareVariable("object");
    p.slots.old_object = env->DeclareVariable("oldObject");
    p.slots.request = env->DeclareVariable("request", AdmissionRequestType());
    p.slots.namespace_object = env->DeclareVariable("namespaceObject", NamespaceObjectType());
    p.slots.params = env->DeclareVariable("params");
    // Params are part of the policy: compiled in, so that a regex or list drawn from
    // them is prepared once, and a bad one is a load error.
    env->SetConstant(p.slots.params, p.params ? cel::Value::Json(*p.params) : cel::Value::Null(), p.params);
    p.slots.now = env->DeclareVariable("now", cel::checker::Type::Timestamp());
    env->DeclareNamespace("variables");

    // matchConditions see no variables; variables see the ones before them.
    p.match_conditions = Expressions(spec, "matchConditions", *env, Yields::kBool);
    p.variables = Expressions(spec, "variables", *env, Yields::kAny, &p.slots.variables, env.get());
    for (auto& c : p.match_conditions) c.request_scoped = !c.program->Reads(p.slots.params);
    for (auto& v : p.variables) {
      v.request_scoped = !v.program->Reads(p.slots.params) &&
                         std::none_of(p.slots.variables.begin(), p.slots.variables.end(),
                                      [&](int slot) { return v.program->Reads(slot); });
    }
    ReadValidations(spec, *env, &p);
    ReadAuditAnnotations(spec, *env, &p);
    p.env = std::move(env);
    vap_ = nullptr;
    not_vap_ = nullptr;
    return p;
  }

 private:
  std::optional<Action> ActionOf(const YAML::Node& n, const std::string& path) {
    return r_.Enum<Action>(n, "action", path,
                           {{"Deny", Action::kDeny}, {"Warn", Action::kWarn}, {"Audit", Action::kAudit}});
  }

  std::vector<ClauseRef> Clauses(const YAML::Node& n, const std::string& path) {
    std::vector<ClauseRef> out;
    YAML::Node list = n["controls"];
    std::vector<std::string> ids = r_.Strings(n, "controls", path);
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string& id = ids[i];
      auto colon = id.find(':');
      const Catalogue* cat = nullptr;
      if (colon != std::string::npos) {
        for (const Catalogue& c : catalogues_) {
          if (c.prefix == id.substr(0, colon)) cat = &c;
        }
      }
      std::string clause = colon == std::string::npos ? "" : id.substr(colon + 1);
      bool known = cat && std::any_of(cat->controls.begin(), cat->controls.end(),
                                      [&](const Control& c) { return c.id == clause; });
      if (!known) {
        r_.Report(list[i], DocReader::Join(path, "controls") + "[" + std::to_string(i) + "]: unknown clause \"" + id +
                               "\" (not in the controls catalogue; write e.g. \"ISO27017:CLD.9.5.2\")");
        continue;
      }
      out.push_back({id, cat->standard, clause});
    }
    return out;
  }

  // Label keys are qualified names and values label values, as Kubernetes has them.
  void CheckLabelKey(const YAML::Node& at, const std::string& path, const std::string& key) {
    for (const auto& why : cel::ext::QualifiedName(key)) r_.Report(at, path + ": invalid label key \"" + key + "\": " + why);
  }
  void CheckLabelValue(const YAML::Node& at, const std::string& path, const std::string& value) {
    for (const auto& why : cel::ext::LabelValue(value)) r_.Report(at, path + ": invalid label value \"" + value + "\": " + why);
  }

  std::optional<LabelSelector> Selector(const YAML::Node& parent, const char* key, const std::string& path) {
    YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    std::string p = DocReader::Join(path, key);
    if (!r_.Map(n, p, {"matchLabels", "matchExpressions"})) return std::nullopt;
    LabelSelector sel;
    for (auto& [k, v] : r_.StringMap(n, "matchLabels", p)) {
      CheckLabelKey(n["matchLabels"], p + ".matchLabels", k);
      CheckLabelValue(n["matchLabels"], p + ".matchLabels", v);
      sel.requirements.push_back({k, LabelRequirement::Op::kIn, {v}});
    }
    YAML::Node exprs = n["matchExpressions"];
    if (exprs.IsDefined() && !exprs.IsNull()) {
      if (!exprs.IsSequence()) {
        r_.Report(exprs, p + ".matchExpressions: must be a list");
        return sel;
      }
      for (size_t i = 0; i < exprs.size(); ++i) {
        std::string ep = p + ".matchExpressions[" + std::to_string(i) + "]";
        const YAML::Node& e = exprs[i];
        if (!r_.Map(e, ep, {"key", "operator", "values"})) continue;
        LabelRequirement req;
        req.key = r_.String(e, "key", ep, true).value_or("");
        auto op = r_.Enum<LabelRequirement::Op>(e, "operator", ep,
                                                {{"In", LabelRequirement::Op::kIn},
                                                 {"NotIn", LabelRequirement::Op::kNotIn},
                                                 {"Exists", LabelRequirement::Op::kExists},
                                                 {"DoesNotExist", LabelRequirement::Op::kDoesNotExist}});
        if (!e["operator"].IsDefined()) r_.Report(e, "missing required field \"" + ep + ".operator\"");
        req.values = r_.Strings(e, "values", ep);
        if (!req.key.empty()) CheckLabelKey(e["key"], ep + ".key", req.key);
        for (const auto& v : req.values) CheckLabelValue(e["values"], ep + ".values", v);
        if (op) {
          req.op = *op;
          bool set_op = req.op == LabelRequirement::Op::kIn || req.op == LabelRequirement::Op::kNotIn;
          if (set_op && req.values.empty()) r_.Report(e, ep + ": operator " + e["operator"].Scalar() + " needs values");
          if (!set_op && !req.values.empty()) r_.Report(e["values"], ep + ": operator " + e["operator"].Scalar() + " takes no values");
        }
        sel.requirements.push_back(std::move(req));
      }
    }
    return sel;
  }

  void ReadMatch(const YAML::Node& spec, Match* m) {
    YAML::Node n = spec["match"];
    if (!n.IsDefined()) {
      r_.Report(spec, "missing required field \"spec.match\"");
      return;
    }
    if (!r_.Map(n, "spec.match", {"resources", "podTemplates", "namespaceSelector", "objectSelector",
                                  "excludeNamespaces", "excludeUsernames"})) {
      return;
    }
    YAML::Node rules = n["resources"];
    if (!rules.IsSequence() || rules.size() == 0) {
      r_.Report(rules.IsDefined() ? rules : n, "spec.match.resources: must be a non-empty list of rules");
    } else {
      for (size_t i = 0; i < rules.size(); ++i) {
        std::string rp = "spec.match.resources[" + std::to_string(i) + "]";
        if (!r_.Map(rules[i], rp, {"apiGroups", "apiVersions", "resources", "operations"})) continue;
        ResourceRule rule;
        rule.api_groups = r_.Strings(rules[i], "apiGroups", rp);
        rule.api_versions = r_.Strings(rules[i], "apiVersions", rp);
        rule.resources = r_.Strings(rules[i], "resources", rp);
        rule.operations = r_.Strings(rules[i], "operations", rp);
        if (rule.resources.empty()) r_.Report(rules[i], rp + ": resources must name at least one resource (or \"*\")");
        for (const auto& op : rule.operations) {
          if (op != "CREATE" && op != "UPDATE" && op != "DELETE" && op != "CONNECT" && op != "*") {
            r_.Report(rules[i]["operations"], rp + ".operations: \"" + op + "\" is not one of CREATE, UPDATE, DELETE, CONNECT, *");
          }
        }
        if (rule.api_groups.empty()) rule.api_groups = {"*"};
        if (rule.api_versions.empty()) rule.api_versions = {"*"};
        if (rule.operations.empty()) rule.operations = {"CREATE", "UPDATE"};
        m->resources.push_back(std::move(rule));
      }
    }
    m->pod_templates = r_.Bool(n, "podTemplates", "spec.match").value_or(false);
    m->namespace_selector = Selector(n, "namespaceSelector", "spec.match");
    m->object_selector = Selector(n, "objectSelector", "spec.match");
    m->exclude_namespaces = r_.Strings(n, "excludeNamespaces", "spec.match");
    m->exclude_usernames = r_.Strings(n, "excludeUsernames", "spec.match");
  }

  // What an expression must yield, as the API server requires it of each field
  // (exactly: a dyn result is refused where bool or string is required).
  enum class Yields { kAny, kBool, kString, kStringOrNull };

  std::optional<NamedExpression> Compile(const YAML::Node& node, const std::string& name, const std::string& path,
                                         const cel::Env& env, Yields yields) {
    if (!node.IsScalar()) {
      r_.Report(node, path + ": must be a CEL expression (a string)");
      return std::nullopt;
    }
    NamedExpression e;
    e.name = name;
    e.expression = node.Scalar();
    e.origin = r_.OriginOf(node);
    e.field = path;
    cel::CompileOptions options;
    options.estimated_cost_limit = options_.max_estimated_cost;
    auto compiled = cel::Compile(e.expression, env, options);
    if (compiled.error) {
      r_.ReportInField(r_.ScalarTextStart(node, compiled.error->position.line, compiled.error->position.column),
                       path, compiled.error->position, compiled.error->message);
      return std::nullopt;
    }
    using cel::checker::TypeKind;
    const TypeKind got = compiled.type.kind;
    const char* want = nullptr;
    if (yields == Yields::kBool && got != TypeKind::kBool) want = "must evaluate to bool";
    if (yields == Yields::kString && got != TypeKind::kString) want = "must evaluate to string";
    if (yields == Yields::kStringOrNull && got != TypeKind::kString && got != TypeKind::kNull) {
      want = "must evaluate to one of [string null_type]";
    }
    if (want) {
      r_.Report(node, path + ": " + want + " but got " + cel::checker::FormatType(compiled.type));
      return std::nullopt;
    }
    if (vap_) {
      auto k8s = cel::Compile(e.expression, *vap_);
      if (k8s.error) {
        not_vap_->push_back({e.origin.file,
                             r_.ScalarTextStart(node, k8s.error->position.line, k8s.error->position.column),
                             path + ": " + k8s.error->message});
      }
    }
    e.program = compiled.program;
    e.type = compiled.type;
    if (compiled.estimated_cost) e.estimated_cost = *compiled.estimated_cost;
    return e;
  }

  // A list of {name, expression}; with `slots`, each name is declared as
  // variables.NAME after its own expression is compiled.
  std::vector<NamedExpression> Expressions(const YAML::Node& spec, const char* key, const cel::Env& env, Yields yields,
                                           std::vector<int>* slots = nullptr, cel::Env* declare = nullptr) {
    std::vector<NamedExpression> out;
    YAML::Node list = spec[key];
    if (!list.IsDefined() || list.IsNull()) return out;
    std::string path = std::string("spec.") + key;
    if (!list.IsSequence()) {
      r_.Report(list, path + ": must be a list");
      return out;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ip = path + "[" + std::to_string(i) + "]";
      if (!r_.Map(list[i], ip, {"name", "expression"})) continue;
      std::string name = r_.String(list[i], "name", ip, true).value_or("");
      if (!name.empty() && !names.insert(name).second) r_.Report(list[i]["name"], ip + ": duplicate name \"" + name + "\"");
      if (!list[i]["expression"].IsDefined()) {
        r_.Report(list[i], "missing required field \"" + ip + ".expression\"");
        continue;
      }
      auto e = Compile(list[i]["expression"], name, ip + ".expression", env, yields);
      if (slots && declare && !name.empty()) {
        slots->push_back(declare->DeclareVariable("variables." + name, e ? e->type : cel::checker::Type::Dyn()));
        if (vap_) vap_->DeclareVariable("variables." + name, e ? e->type : cel::checker::Type::Dyn());
      }
      if (e) out.push_back(std::move(*e));
    }
    return out;
  }

  void ReadValidations(const YAML::Node& spec, const cel::Env& env, Policy* p) {
    YAML::Node list = spec["validations"];
    if (!list.IsDefined() || list.IsNull()) {
      r_.Report(spec, "missing required field \"spec.validations\"");
      return;
    }
    if (!list.IsSequence() || list.size() == 0) {
      r_.Report(list, "spec.validations: must be a non-empty list");
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string vp = "spec.validations[" + std::to_string(i) + "]";
      const YAML::Node& v = list[i];
      if (!r_.Map(v, vp, {"name", "expression", "messageExpression", "message", "controls", "action"})) continue;
      Validation val;
      val.origin = r_.OriginOf(v);
      val.name = r_.String(v, "name", vp, true).value_or("");
      if (!val.name.empty() && !names.insert(val.name).second) {
        r_.Report(v["name"], vp + ": duplicate rule name \"" + val.name + "\"");
      }
      val.message = r_.String(v, "message", vp).value_or("");
      val.action = ActionOf(v, vp);
      val.controls = p->controls;
      for (auto& c : Clauses(v, vp)) val.controls.push_back(std::move(c));
      if (!v["expression"].IsDefined()) {
        r_.Report(v, "missing required field \"" + vp + ".expression\"");
        continue;
      }
      auto check = Compile(v["expression"], val.name, vp + ".expression", env, Yields::kBool);
      if (v["messageExpression"].IsDefined()) {
        val.message_expression =
            Compile(v["messageExpression"], val.name, vp + ".messageExpression", env, Yields::kString);
      }
      if (!check) continue;
      val.check = std::move(*check);
      p->validations.push_back(std::move(val));
    }
  }

  void ReadAuditAnnotations(const YAML::Node& spec, const cel::Env& env, Policy* p) {
    YAML::Node list = spec["auditAnnotations"];
    if (!list.IsDefined() || list.IsNull()) return;
    if (!list.IsSequence()) {
      r_.Report(list, "spec.auditAnnotations: must be a list");
      return;
    }
    std::set<std::string> keys;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ap = "spec.auditAnnotations[" + std::to_string(i) + "]";
      const YAML::Node& a = list[i];
      if (!r_.Map(a, ap, {"key", "valueExpression"})) continue;
      std::string key = r_.String(a, "key", ap, true).value_or("");
      // The API server stores it as "<webhook>/<policy>.<key>": the part after the
      // slash must be a qualified name of at most 63 characters.
      std::string full = p->name + "." + key;
      if (!key.empty()) {
        if (!keys.insert(key).second) r_.Report(a["key"], ap + ": duplicate key \"" + key + "\"");
        auto why = cel::ext::QualifiedName(full);
        if (full.find('/') != std::string::npos || !why.empty()) {
          r_.Report(a["key"], ap + ".key: \"" + full + "\" (policy name, '.', key) is not a valid audit annotation key" +
                                  (why.empty() ? std::string(": no '/' allowed") : ": " + why.front()));
        }
      }
      if (!a["valueExpression"].IsDefined()) {
        r_.Report(a, "missing required field \"" + ap + ".valueExpression\"");
        continue;
      }
      auto value = Compile(a["valueExpression"], key, ap + ".valueExpression", env, Yields::kStringOrNull);
      if (value && !key.empty()) p->audit_annotations.push_back({key, std::move(*value)});
    }
  }

  // spec.params as an immutable document that `params` reads in place.
  json::DocumentPtr Params(const YAML::Node& n) {
    YAML::Emitter e;
    e << n;
    json::Decoder decoder;
    auto stream = json::DecodeYamlStream(e.c_str(), "spec.params", decoder);
    if (!stream.ok() || stream.documents.empty()) {
      r_.Report(n, "spec.params: " + (!stream.ok() ? stream.errors.front().message : std::string("empty")));
      return nullptr;
    }
    return stream.documents[0].doc;
  }

  DocReader& r_;
  const LoadOptions& options_;
  cel::Env* vap_ = nullptr;                 // the Kubernetes environment, for a policy that opts out of it
  std::vector<Issue>* not_vap_ = nullptr;  // where its refusals go
  const std::vector<Catalogue>& catalogues_;
};

// --- exceptions --------------------------------------------------------------------

void ReadException(DocReader& r, const YAML::Node& doc, const LoadOptions& options, LoadResult* out) {
  PolicyException ex;
  ex.origin = r.OriginOf(doc);
  YAML::Node meta = doc["metadata"];
  if (r.Map(meta, "metadata", kObjectMetaFields)) {
    ex.name = r.String(meta, "name", "metadata", true).value_or("");
    ex.namespace_name = r.String(meta, "namespace", "metadata").value_or("");
  }
  // RBAC on the namespace decides who may waive what where: an exception kept in a
  // namespace waives only there, unless it is the controller's own.
  ex.confined = !ex.namespace_name.empty() && ex.namespace_name != options.controller_namespace;
  YAML::Node spec = doc["spec"];
  if (!r.Map(spec, "spec", {"policies", "match", "justification", "ticket", "expires"})) return;
  YAML::Node pols = spec["policies"];
  if (pols.IsSequence()) {
    for (size_t i = 0; i < pols.size(); ++i) {
      std::string pp = "spec.policies[" + std::to_string(i) + "]";
      if (!r.Map(pols[i], pp, {"name", "rules"})) continue;
      ExceptionTarget t;
      t.policy = r.String(pols[i], "name", pp, true).value_or("");
      t.rules = r.Strings(pols[i], "rules", pp);
      ex.targets.push_back(std::move(t));
    }
  }
  YAML::Node match = spec["match"];
  if (match.IsDefined() && r.Map(match, "spec.match", {"namespaces", "names", "kinds"})) {
    ex.namespaces = r.Strings(match, "namespaces", "spec.match");
    ex.names = r.Strings(match, "names", "spec.match");
    ex.kinds = r.Strings(match, "kinds", "spec.match");
  }
  ex.justification = r.String(spec, "justification", "spec").value_or("");
  ex.ticket = r.String(spec, "ticket", "spec").value_or("");
  if (auto expires = r.String(spec, "expires", "spec")) {
    ex.expires = clausegate::ParseTimestamp(*expires);
    if (!ex.expires) r.Report(spec["expires"], "spec.expires: \"" + *expires + "\" is not an RFC 3339 timestamp");
  }
  // An incomplete exception is not an error in the set: it has no effect, and
  // lint says so.
  if (ex.targets.empty()) ex.incomplete.push_back("names no policy (spec.policies)");
  if (ex.justification.empty()) ex.incomplete.push_back("has no spec.justification");
  if (ex.ticket.empty()) ex.incomplete.push_back("has no spec.ticket");
  if (!ex.expires) ex.incomplete.push_back("has no spec.expires");
  out->exceptions.push_back(std::move(ex));
}

struct Parsed {
  const SourceFile* source;
  YAML::Node node;
  std::string kind;
};

}  // namespace

std::vector<std::string> ListFiles(const std::vector<std::string>& paths, std::vector<Issue>* issues, FileSet set) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec)) {
        // Hidden entries are skipped: a mounted ConfigMap keeps its revisions in
        // "..2024_..." directories behind a "..data" symlink, and the visible
        // names already point into them.
        std::string entry = it->path().filename().string();
        bool testdata = set == FileSet::kPolicies && entry == "testdata" && it->is_directory(ec);
        if (entry.starts_with(".") || testdata) {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        if (!it->is_regular_file(ec)) continue;
        std::string ext = it->path().extension().string();
        if (ext == ".yaml" || ext == ".yml" || (set == FileSet::kManifests && ext == ".json")) {
          found.push_back(it->path().string());
        }
      }
      if (ec) issues->push_back({p, {}, "cannot read the directory: " + ec.message()});
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec) || (fs::exists(p, ec) && !fs::is_directory(p, ec))) {
      files.push_back(p);  // named explicitly: a pipe or /dev/stdin is read too
    } else {
      issues->push_back({p, {}, "no such file or directory"});
    }
  }
  return files;
}

std::vector<SourceFile> ReadPolicyFiles(const std::vector<std::string>& paths, std::vector<Issue>* issues) {
  std::vector<SourceFile> out;
  for (const std::string& f : ListFiles(paths, issues)) {
    std::error_code ec;
    auto size = fs::file_size(f, ec);
    if (ec || size > kMaxFileBytes) {
      issues->push_back({f, {}, ec ? "cannot read: " + ec.message() : "policy file larger than 4 MiB"});
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in) {
      issues->push_back({f, {}, "cannot read"});
      continue;
    }
    out.push_back({f, ss.str()});
  }
  return out;
}

LoadResult LoadPolicyPaths(const std::vector<std::string>& paths, const LoadOptions& options) {
  std::vector<Issue> read_issues;
  auto sources = ReadPolicyFiles(paths, &read_issues);
  LoadResult loaded = LoadPolicies(sources, options);
  loaded.issues.insert(loaded.issues.begin(), read_issues.begin(), read_issues.end());
  return loaded;
}

std::vector<const NamedExpression*> ExpressionsOf(const Policy& p) {
  std::vector<const NamedExpression*> out;
  for (const auto& e : p.match_conditions) out.push_back(&e);
  for (const auto& e : p.variables) out.push_back(&e);
  for (const auto& v : p.validations) {
    out.push_back(&v.check);
    if (v.message_expression) out.push_back(&*v.message_expression);
  }
  for (const auto& a : p.audit_annotations) out.push_back(&a.value);
  return out;
}

void KeepSelected(LoadResult* loaded, const LabelSelector& selector) {
  std::erase_if(loaded->policies, [&](const Policy& p) { return !selector.Matches(p.labels); });
}

LoadResult LoadPolicies(const std::vector<SourceFile>& user_sources, const LoadOptions& options) {
  LoadResult out;
  std::vector<SourceFile> sources = ShippedCatalogues();
  sources.insert(sources.end(), user_sources.begin(), user_sources.end());

  std::vector<Parsed> docs;
  for (const SourceFile& src : sources) {
    json::YamlDocuments loaded = json::LoadYamlDocuments(src.text, src.path);
    if (loaded.error) {
      out.issues.push_back(*loaded.error);
      continue;
    }
    for (const YAML::Node& n : loaded.nodes) {
      if (!n.IsDefined() || n.IsNull()) continue;
      // A key given twice would mean its last value in the cluster and is easily
      // missed in review: a policy says everything once.
      auto repeated = json::RepeatedKeys(n, src.path);
      if (!repeated.empty()) {
        for (auto& i : repeated) out.issues.push_back(std::move(i));
        continue;
      }
      DocReader r(src, &out.issues);
      // `status` is the cluster's (kubectl get -o yaml keeps it): read past, never trusted.
      if (!r.Map(n, "", {"apiVersion", "kind", "metadata", "spec", "status"})) continue;
      auto api = r.String(n, "apiVersion", "", true);
      auto kind = r.String(n, "kind", "", true);
      if (!api || !kind) continue;
      if (*api != kApiVersion) {
        r.Report(n["apiVersion"], "apiVersion \"" + *api + "\" is not " + std::string(kApiVersion));
        continue;
      }
      if (*kind == "PolicyTest") continue;  // test suites live beside policies; `clausegate test` reads them
      if (*kind != "CompliancePolicy" && *kind != "CompliancePolicyException" && *kind != "ControlCatalogue") {
        r.Report(n["kind"], "kind \"" + *kind + "\" is not CompliancePolicy, CompliancePolicyException or ControlCatalogue");
        continue;
      }
      docs.push_back({&src, n, *kind});
    }
  }
  // Catalogues first: policies resolve their clause references against them.
  for (const Parsed& d : docs) {
    if (d.kind != "ControlCatalogue") continue;
    DocReader r(*d.source, &out.issues);
    try {
      ReadCatalogue(r, d.node, &out);
    } catch (const YAML::Exception& e) {
      r.Report(d.node, std::string("cannot read catalogue: ") + e.what());
    }
  }
  std::map<std::string, Origin> policy_names;
  for (const Parsed& d : docs) {
    DocReader r(*d.source, &out.issues);
    try {
      if (d.kind == "CompliancePolicy") {
        PolicyReader pr(r, out.catalogues, options);
        if (auto p = pr.Read(d.node)) {
          auto [it, fresh] = policy_names.emplace(p->name, p->origin);
          if (!fresh) {
            r.Report(d.node["metadata"]["name"], "duplicate policy name \"" + p->name + "\" (also defined at " +
                                                     it->second.file + ":" + std::to_string(it->second.position.line) + ")");
          }
          out.policies.push_back(std::move(*p));
        }
      } else if (d.kind == "CompliancePolicyException") {
        ReadException(r, d.node, options, &out);
      }
    } catch (const YAML::Exception& e) {
      r.Report(d.node, std::string("cannot read document: ") + e.what());
    }
  }
  return out;
}

}  // namespace clausegate::policy
