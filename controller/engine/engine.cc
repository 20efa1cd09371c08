#include "engine/engine.h"

#include <algorithm>
#include <cctype>

#include "cel/runtime/program.h"
#include "policy/resource_check.h"

namespace clausegate::engine {

const char* ToString(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kError: return "error";
    case Outcome::kIgnored: return "ignored";
    case Outcome::kExcepted: return "excepted";
  }
  return "?";
}

namespace {

using policy::Action;
using policy::Policy;

// Every request asks this of every rule of every candidate policy: compared in place.
bool Has(const std::vector<std::string>& list, std::string_view v) {
  for (const std::string& s : list) {
    if ((s.size() == 1 && s[0] == '*') || std::string_view(s) == v) return true;
  }
  return false;
}

// Kinds whose pod template a pod policy also checks (those of Pod Security
// admission's extractor), and where the template is.
enum class TemplateAt { kSpec, kJobTemplate, kTop };  // spec.template, spec.jobTemplate.spec.template, template
struct TemplateKind {
  std::string_view group, resource, kind;
  TemplateAt at;
};
constexpr TemplateKind kTemplateKinds[] = {
    {"apps", "deployments", "Deployment", TemplateAt::kSpec},
    {"apps", "replicasets", "ReplicaSet", TemplateAt::kSpec},
    {"apps", "statefulsets", "StatefulSet", TemplateAt::kSpec},
    {"apps", "daemonsets", "DaemonSet", TemplateAt::kSpec},
    {"batch", "jobs", "Job", TemplateAt::kSpec},
    {"", "replicationcontrollers", "ReplicationController", TemplateAt::kSpec},
    {"batch", "cronjobs", "CronJob", TemplateAt::kJobTemplate},
    {"", "podtemplates", "PodTemplate", TemplateAt::kTop},
};

const TemplateKind* TemplateKindOf(const RequestInfo& info) {
  for (const auto& t : kTemplateKinds) {
    if (t.group == info.group && t.resource == info.resource) return &t;
  }
  return nullptr;
}

// As the API server matches a rule's resources: "pods", "*" (no subresource),
// "pods/status", "pods/*", "*/status", "*/*" (anything). Compared in place: every
// request asks this of every policy for its resource.
bool ResourceMatches(std::string_view want, std::string_view resource, std::string_view sub) {
  if (want == "*/*") return true;
  if (sub.empty()) return want == "*" || want == resource;
  size_t slash = want.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view want_resource = want.substr(0, slash), want_sub = want.substr(slash + 1);
  return (want_resource == resource || want_resource == "*") && (want_sub == sub || want_sub == "*");
}

bool RuleMatches(const policy::ResourceRule& r, std::string_view group, std::string_view version,
                 std::string_view resource, std::string_view sub, std::string_view op) {
  if (!Has(r.api_groups, group) || !Has(r.api_versions, version) || !Has(r.operations, op)) return false;
  return std::any_of(r.resources.begin(), r.resources.end(),
                     [&](const std::string& want) { return ResourceMatches(want, resource, sub); });
}

bool PolicyMatchesResource(const Policy& p, const RequestInfo& info, bool as_pod) {
  for (const auto& r : p.match.resources) {
    if (as_pod) {
      if (RuleMatches(r, "", "v1", "pods", "", info.operation)) return true;
    } else if (RuleMatches(r, info.group, info.version, info.resource, info.sub_resource, info.operation)) {
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> Labels(const cel::Value& object) {
  std::map<std::string, std::string> out;
  if (object.kind() != cel::Kind::kMap) return out;
  auto meta = object.MapFindString("metadata");
  if (!meta || meta->kind() != cel::Kind::kMap) return out;
  auto labels = meta->MapFindString("labels");
  if (!labels || labels->kind() != cel::Kind::kMap) return out;
  labels->ForEachEntry([&](const cel::Value& k, const cel::Value& v) {
    if (k.kind() == cel::Kind::kString && v.kind() == cel::Kind::kString) {
      out.emplace(std::string(k.string_value()), std::string(v.string_value()));
    }
    return true;
  });
  return out;
}

// The pod template of a workload, seen as a Pod: template metadata and spec, in
// the owner's namespace.
cel::Value PodView(const cel::Value& owner, const TemplateKind& t) {
  if (owner.kind() != cel::Kind::kMap) return cel::Value::Null();
  auto field = [](const std::optional<cel::Value>& m, std::string_view name) -> std::optional<cel::Value> {
    return m && m->kind() == cel::Kind::kMap ? m->MapFindString(name) : std::nullopt;
  };
  std::optional<cel::Value> tmpl;
  switch (t.at) {
    case TemplateAt::kTop: tmpl = owner.MapFindString("template"); break;
    case TemplateAt::kSpec: tmpl = field(owner.MapFindString("spec"), "template"); break;
    case TemplateAt::kJobTemplate:
      tmpl = field(field(field(owner.MapFindString("spec"), "jobTemplate"), "spec"), "template");
      break;
  }
  if (!tmpl || tmpl->kind() != cel::Kind::kMap) return cel::Value::Null();
  // A small map over the template's own subtrees: nothing of the object is copied.
  std::vector<std::pair<cel::Value, cel::Value>> meta_entries;
  auto tmeta = tmpl->MapFindString("metadata");
  bool has_ns = false;
  if (tmeta && tmeta->kind() == cel::Kind::kMap) {
    tmeta->ForEachEntry([&](const cel::Value& k, const cel::Value& v) {
      if (k.kind() == cel::Kind::kString && k.string_value() == "namespace") has_ns = true;
      meta_entries.emplace_back(k, v);
      return true;
    });
  }
  auto ometa = owner.MapFindString("metadata");
  if (!has_ns && ometa && ometa->kind() == cel::Kind::kMap) {
    if (auto ns = ometa->MapFindString("namespace")) meta_entries.emplace_back(cel::Value::StringView("namespace"), *ns);
  }
  std::vector<std::pair<cel::Value, cel::Value>> pod;
  pod.emplace_back(cel::Value::StringView("apiVersion"), cel::Value::StringView("v1"));
  pod.emplace_back(cel::Value::StringView("kind"), cel::Value::StringView("Pod"));
  pod.emplace_back(cel::Value::StringView("metadata"), cel::Value::Map(std::move(meta_entries)));
  if (auto ps = tmpl->MapFindString("spec")) pod.emplace_back(cel::Value::StringView("spec"), *ps);
  return cel::Value::Map(std::move(pod));
}

std::string TemplatePath(const TemplateKind& t) {
  switch (t.at) {
    case TemplateAt::kSpec: return "spec.template";
    case TemplateAt::kJobTemplate: return "spec.jobTemplate.spec.template";
    case TemplateAt::kTop: return "template";
  }
  return "";
}

}  // namespace

std::string PolicySet::ResourceForKind(std::string_view kind) {
  static constexpr std::pair<std::string_view, std::string_view> kKnown[] = {
      {"Endpoints", "endpoints"}, {"PodSecurityPolicy", "podsecuritypolicies"}, {"NetworkPolicy", "networkpolicies"},
      {"Ingress", "ingresses"}, {"IngressClass", "ingressclasses"}, {"StorageClass", "storageclasses"},
      {"PriorityClass", "priorityclasses"}, {"RuntimeClass", "runtimeclasses"}};
  for (auto& [k, r] : kKnown) {
    if (k == kind) return std::string(r);
  }
  std::string lower;
  for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty()) return lower;
  // Kubernetes' default pluralisation.
  if (lower.ends_with("s") || lower.ends_with("x") || lower.ends_with("z") || lower.ends_with("ch") || lower.ends_with("sh")) {
    return lower + "es";
  }
  if (lower.ends_with("y") && lower.size() > 1 && std::string_view("aeiou").find(lower[lower.size() - 2]) == std::string_view::npos) {
    return lower.substr(0, lower.size() - 1) + "ies";
  }
  return lower + "s";
}

namespace {

policy::Policy MakeBuiltinPolicy() {
  policy::Policy p;
  p.name = "clausegate-policy-resources";
  p.title = "Policies and exceptions are checked before they reach the cluster";
  p.controls = {{"ISO27002:12.1.2", "ISO/IEC 27002", "12.1.2"}, {"ISO27002:14.2.2", "ISO/IEC 27002", "14.2.2"}};
  p.severity = policy::Severity::kHigh;
  p.origin.file = "(built in)";
  policy::Validation v;
  v.name = "loads";
  v.message = "the resource loads as clausegate loads it";
  v.controls = p.controls;
  p.validations.push_back(std::move(v));
  return p;
}

}  // namespace

PolicySet::PolicySet(std::vector<policy::Policy> policies, std::vector<policy::PolicyException> exceptions,
                     policy::LoadOptions resource_options)
    : policies_(std::move(policies)),
      exceptions_(std::move(exceptions)),
      resource_options_(std::move(resource_options)),
      builtin_(MakeBuiltinPolicy()) {
  for (size_t i = 0; i < policies_.size(); ++i) {
    const Policy& p = policies_[i];
    bool wildcard = false, pods = false;
    std::set<std::string> keys;
    for (const auto& r : p.match.resources) {
      for (const auto& g : r.api_groups) {
        for (const auto& res : r.resources) {
          std::string base = res.substr(0, res.find('/'));
          if (g == "*" || base == "*") {
            wildcard = true;
          } else {
            keys.insert(g + "/" + base);
          }
          if ((g == "" || g == "*") && (base == "pods" || base == "*")) pods = true;
        }
      }
    }
    if (wildcard) {
      wildcard_.push_back(i);
    } else {
      for (const auto& k : keys) by_resource_[k].push_back(i);
    }
    if (p.match.pod_templates && pods) pod_template_policies_.push_back(i);
  }
  // Each resource's list takes in the wildcards once, here, in policy order.
  for (auto& [key, list] : by_resource_) {
    list.insert(list.end(), wildcard_.begin(), wildcard_.end());
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  // Policies with the same resource rules (most of a library: pods, CREATE and
  // UPDATE) share a class, whose rules a request's candidates test once.
  std::map<std::string, uint32_t> classes;
  match_class_.reserve(policies_.size());
  for (const Policy& p : policies_) {
    std::string key;
    for (const auto& r : p.match.resources) {
      for (const auto* list : {&r.api_groups, &r.api_versions, &r.resources, &r.operations}) {
        for (const auto& item : *list) key += std::to_string(item.size()) + ":" + item;  // unambiguous
        key += ';';
      }
      key += '|';
    }
    match_class_.push_back(classes.emplace(std::move(key), static_cast<uint32_t>(classes.size())).first->second);
  }
  match_classes_ = classes.size();
  // A variable and a condition of the same text are the same value: one slot. The
  // same text means the same only in the same CEL environment (string.format differs).
  std::map<std::pair<cel::checker::Profile, std::string_view>, int> text_slots;
  auto slot_of = [&](const Policy& p, const policy::NamedExpression& e) {
    if (!e.request_scoped) return -1;
    return text_slots.emplace(std::make_pair(p.cel_environment, std::string_view(e.expression)),
                              static_cast<int>(text_slots.size()))
        .first->second;
  };
  shared_slots_.resize(policies_.size());
  for (size_t i = 0; i < policies_.size(); ++i) {
    const Policy& p = policies_[i];
    for (const auto& v : p.variables) shared_slots_[i].variables.push_back(slot_of(p, v));
    for (const auto& c : p.match_conditions) shared_slots_[i].conditions.push_back(slot_of(p, c));
  }
  shared_count_ = text_slots.size();
}

std::vector<PolicySet::Candidate> PolicySet::Candidates(const RequestInfo& info) const {
  std::vector<Candidate> out;
  auto it = by_resource_.find(info.group + "/" + info.resource);
  const std::vector<size_t>& direct = it != by_resource_.end() ? it->second : wildcard_;
  out.reserve(direct.size() + pod_template_policies_.size());
  // Per match class: 0 not yet tested, 1 matches, 2 does not.
  std::vector<uint8_t> verdict(match_classes_, 0);
  auto matches = [&](size_t i, bool as_pod) {
    uint8_t& v = verdict[match_class_[i]];
    if (v == 0) v = PolicyMatchesResource(policies_[i], info, as_pod) ? 1 : 2;
    return v == 1;
  };
  for (size_t i : direct) {
    if (matches(i, false)) out.push_back({&policies_[i], false});
  }
  if (info.sub_resource.empty() && TemplateKindOf(info)) {
    std::fill(verdict.begin(), verdict.end(), uint8_t{0});  // now as the template's Pod
    for (size_t i : pod_template_policies_) {
      bool already = std::any_of(out.begin(), out.end(), [&](const Candidate& c) { return c.policy == &policies_[i]; });
      if (!already && matches(i, true)) out.push_back({&policies_[i], true});
    }
  }
  return out;
}

namespace {

// What the selectors of every policy read of a request, worked out once for it.
struct SelectorSubject {
  explicit SelectorSubject(const RequestInfo& info)
      : is_namespace(info.kind == "Namespace" && info.group.empty()),
        // The namespace a request is "in": a Namespace object is its own.
        ns(is_namespace ? info.name : info.namespace_name) {}
  bool is_namespace;
  std::string_view ns;
};

bool SelectorsMatch(const Policy& p, const Input& in, const SelectorSubject& subject) {
  const RequestInfo& info = in.info;
  std::string_view ns = subject.ns;
  if (!ns.empty() && std::find(p.match.exclude_namespaces.begin(), p.match.exclude_namespaces.end(), ns) !=
                         p.match.exclude_namespaces.end()) {
    return false;
  }
  if (!p.match.exclude_usernames.empty() &&
      std::find(p.match.exclude_usernames.begin(), p.match.exclude_usernames.end(), info.username) !=
          p.match.exclude_usernames.end()) {
    return false;
  }
  if (p.match.namespace_selector && !p.match.namespace_selector->requirements.empty()) {
    if (subject.is_namespace) {
      if (!p.match.namespace_selector->Matches(Labels(in.object.is_null() ? in.old_object : in.object))) return false;
    } else if (!info.namespace_name.empty()) {
      static const std::map<std::string, std::string> kNone;
      if (!p.match.namespace_selector->Matches(in.namespace_labels ? *in.namespace_labels : kNone)) return false;
    }
    // Other cluster-scoped objects are not constrained by a namespace selector.
  }
  if (p.match.object_selector && !p.match.object_selector->requirements.empty()) {
    bool now = !in.object.is_null() && p.match.object_selector->Matches(Labels(in.object));
    bool before = !in.old_object.is_null() && p.match.object_selector->Matches(Labels(in.old_object));
    if (!now && !before) return false;
  }
  return true;
}

bool ExceptionCovers(const policy::PolicyException& ex, const Policy& p, const policy::Validation* rule,
                     const Input& in) {
  if (policy::StateAt(ex, in.now) != policy::ExceptionState::kInForce) return false;
  bool targeted = std::any_of(ex.targets.begin(), ex.targets.end(), [&](const policy::ExceptionTarget& t) {
    if (t.policy != p.name) return false;
    return t.rules.empty() || (rule && std::find(t.rules.begin(), t.rules.end(), rule->name) != t.rules.end());
  });
  if (!targeted) return false;
  if (ex.confined && in.info.namespace_name != ex.namespace_name) return false;
  auto in_list = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  return in_list(ex.namespaces, in.info.namespace_name) && in_list(ex.names, in.info.name) &&
         in_list(ex.kinds, in.info.kind);
}

std::string ObjectName(const RequestInfo& info) {
  std::string name = info.name.empty() ? "(unnamed)" : info.name;
  return info.namespace_name.empty() ? name : info.namespace_name + "/" + name;
}

}  // namespace

std::string StringAt(const cel::Value& v, std::initializer_list<std::string_view> path) {
  cel::Value cur = v;
  for (auto key : path) {
    if (cur.kind() != cel::Kind::kMap) return "";
    auto next = cur.MapFindString(key);
    if (!next) return "";
    cur = *next;
  }
  return cur.kind() == cel::Kind::kString ? std::string(cur.string_value()) : "";
}

cel::Value RequestValue(const RequestInfo& info) {
  using cel::Value;
  auto str = [](const std::string& s) { return Value::String(s); };
  std::vector<Value> groups;
  for (const auto& g : info.groups) groups.push_back(str(g));
  return Value::Map({
      {str("uid"), str(info.uid)},
      {str("operation"), str(info.operation)},
      {str("kind"), Value::Map({{str("group"), str(info.group)}, {str("version"), str(info.version)}, {str("kind"), str(info.kind)}})},
      {str("resource"), Value::Map({{str("group"), str(info.group)}, {str("version"), str(info.version)}, {str("resource"), str(info.resource)}})},
      {str("subResource"), str(info.sub_resource)},
      {str("name"), str(info.name)},
      {str("namespace"), str(info.namespace_name)},
      {str("userInfo"), Value::Map({{str("username"), str(info.username)}, {str("groups"), Value::List(std::move(groups))}})},
      {str("dryRun"), Value::Bool(info.dry_run)},
  });
}

std::string RenderClauses(const std::vector<policy::ClauseRef>& refs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& r : refs) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == r.standard; });
    if (it == groups.end()) {
      groups.push_back({r.standard, {r.clause}});
    } else if (std::find(it->second.begin(), it->second.end(), r.clause) == it->second.end()) {
      it->second.push_back(r.clause);
    }
  }
  std::string out;
  for (const auto& [standard, clauses] : groups) {
    if (!out.empty()) out += "; ";
    out += standard + " ";
    for (size_t i = 0; i < clauses.size(); ++i) out += (i ? ", " : "") + clauses[i];
  }
  return out;
}

namespace {

// A field path of the evaluated view starts at `i`: "spec." or "metadata." at the
// start of a word (after a space, punctuation or a quote), as messages list them
// ("spec.containers[0].image, spec.containers[1].image").
bool FieldPathAt(std::string_view message, size_t i) {
  if (i > 0) {
    char before = message[i - 1];
    if (before != ' ' && before != ',' && before != ';' && before != '(' && before != '\'' && before != '"' &&
        before != '\n' && before != '\t' && before != '`') {
      return false;
    }
  }
  std::string_view rest = message.substr(i);
  return rest.starts_with("spec.") || rest.starts_with("metadata.");
}

}  // namespace

std::string PathedMessage(const RuleResult& r) {
  if (r.path.empty()) return r.message;
  // Every field path of the template continues the template's path in the object
  // ("spec.template.spec.containers[1]..."); a message that does not start with one
  // is placed after the template's path.
  std::string out;
  if (!FieldPathAt(r.message, 0)) out = r.path + ": ";
  for (size_t i = 0; i < r.message.size(); ++i) {
    if (FieldPathAt(r.message, i)) out += r.path + ".";
    out += r.message[i];
  }
  return out;
}

std::string LocatedMessage(const RuleResult& r) {
  return r.subject.empty() ? PathedMessage(r) : r.subject + ": " + PathedMessage(r);
}

std::string DenialMessage(const RequestInfo& info, const std::vector<const RuleResult*>& denials) {
  std::string out = "[clausegate] " + (info.kind.empty() ? std::string("object") : info.kind) + " " +
                    ObjectName(info) + " denied by " + std::to_string(denials.size()) +
                    (denials.size() == 1 ? " rule:" : " rules:");
  for (const RuleResult* r : denials) {
    out += "\n- " + r->policy->name + "/" + (r->rule ? r->rule->name : std::string("matchConditions"));
    const auto& refs = r->rule ? r->rule->controls : r->policy->controls;
    if (!refs.empty()) out += " (" + RenderClauses(refs) + ")";
    out += ":\n  ";
    out += LocatedMessage(*r);
  }
  return out;
}

bool PolicySet::MayJudge(const RequestInfo& info) const {
  return (policy::IsPolicyResource(info.group, info.kind) && (info.operation == "CREATE" || info.operation == "UPDATE")) ||
         !Candidates(info).empty();
}

std::optional<RuleResult> PolicySet::CheckPolicyResource(const Input& in) const {
  const RequestInfo& info = in.info;
  if (!policy::IsPolicyResource(info.group, info.kind) || !info.sub_resource.empty() ||
      (info.operation != "CREATE" && info.operation != "UPDATE")) {
    return std::nullopt;
  }
  RuleResult r;
  r.policy = &builtin_;
  r.rule = &builtin_.validations[0];
  r.action = Action::kDeny;
  std::vector<std::string> problems;
  auto object = in.object.json_element();
  if (!object) {
    problems.push_back("the request carries no object");
  } else {
    auto old = in.old_object.json_element();
    std::string old_text = old ? simdjson::minify(*old) : "";
    problems = policy::CheckPolicyResource(simdjson::minify(*object),
                                           old ? std::optional<std::string_view>(old_text) : std::nullopt,
                                           resource_options_, in.now);
  }
  if (info.kind == "CompliancePolicy" && problems.empty()) {
    for (const Policy& p : policies_) {
      if (p.name == info.name && !p.origin.cluster) {
        problems.push_back("metadata.name: a policy named \"" + p.name + "\" is loaded from " + p.origin.file +
                           "; a CompliancePolicy cannot replace it");
      }
    }
  }
  if (problems.empty()) return r;
  r.outcome = Outcome::kFail;
  for (const std::string& p : problems) r.message += (r.message.empty() ? "" : "\n  ") + p;
  return r;
}

namespace {

// What a policy's expressions see of a request: the object itself or, for a
// workload, its pod template; made once a request for each.
struct RequestView {
  cel::Value object, old_object;
  std::string subject, path;  // for a pod template: "Deployment web", "spec.template"
  // The request's variables bound once (see Activation's outer), by the slots of
  // the policy that made it.
  std::optional<cel::Activation> base;
  policy::Slots layout;
};

RequestView& View(const Input& in, bool via_template, std::optional<RequestView> (&views)[2]) {
  std::optional<RequestView>& v = views[via_template ? 1 : 0];
  if (v) return *v;
  v.emplace();
  if (!via_template) {
    v->object = in.object;
    v->old_object = in.old_object;
    return *v;
  }
  const TemplateKind* t = TemplateKindOf(in.info);
  if (!in.object.is_null()) v->object = PodView(in.object, *t);
  if (!in.old_object.is_null()) v->old_object = PodView(in.old_object, *t);
  v->subject = std::string(t->kind) + " " + (in.info.name.empty() ? "(unnamed)" : in.info.name);
  v->path = TemplatePath(*t);
  return *v;
}

void BindRequest(cel::Activation* act, const policy::Slots& slots, const RequestView& view, const Input& in) {
  act->Bind(slots.object, view.object);
  act->Bind(slots.old_object, view.old_object);
  act->Bind(slots.request, in.request);
  act->Bind(slots.namespace_object, in.namespace_object);
  act->Bind(slots.now, cel::Value::Timestamp(in.now));
}

// Whether a policy's request variables sit in the same slots as `layout`'s, among
// those an outer activation serves.
bool SameRequestSlots(const policy::Slots& a, const policy::Slots& layout) {
  constexpr int kServed = static_cast<int>(cel::Activation::kInlineSlots);
  return a.object == layout.object && a.old_object == layout.old_object && a.request == layout.request &&
         a.namespace_object == layout.namespace_object && a.now == layout.now &&
         std::max({a.object, a.old_object, a.request, a.namespace_object, a.now}) < kServed &&
         std::min({a.object, a.old_object, a.request, a.namespace_object, a.now}) >= 0;
}

}  // namespace

Decision PolicySet::Evaluate(const Input& in) const {
  Decision d;
  if (auto builtin = CheckPolicyResource(in)) {
    d.matched.push_back(&builtin_);
    d.results.push_back(std::move(*builtin));
  }
  cel::EvalOptions eval;
  eval.deadline = in.deadline;
  std::vector<std::pair<policy::Severity, std::string>> warnings;
  // Request-scoped expressions evaluated once for every policy that declares the same
  // text, apart for the object itself and its pod template (they see different objects).
  std::vector<std::optional<cel::Value>> shared_object(shared_count_), shared_template(shared_count_);
  std::vector<Candidate> candidates = Candidates(in.info);
  const SelectorSubject selector_subject(in.info);
  std::optional<RequestView> views[2];
  size_t rules = 0;
  for (const Candidate& c : candidates) rules += c.policy->validations.size();
  d.results.reserve(d.results.size() + rules);
  for (const Candidate& c : candidates) {
    const Policy& p = *c.policy;
    const SharedSlots& slots = shared_slots_[static_cast<size_t>(&p - policies_.data())];
    if (!SelectorsMatch(p, in, selector_subject)) continue;

    RequestView& view = View(in, c.via_template, views);
    if (c.via_template && view.object.is_null() && view.old_object.is_null()) continue;
    const std::string& subject = view.subject;
    const std::string& path = view.path;

    // The request's values are bound once a view, in an activation this policy's
    // reads fall through to, when its variables sit where the first policy's did.
    if (!view.base) {
      view.base.emplace(*p.env);
      view.layout = p.slots;
      BindRequest(&*view.base, p.slots, view, in);
    }
    bool shared_layout = SameRequestSlots(p.slots, view.layout);
    cel::Activation act(*p.env, shared_layout ? &*view.base : nullptr);
    if (!shared_layout) BindRequest(&act, p.slots, view, in);
    act.Bind(p.slots.params, p.params ? cel::Value::Json(*p.params) : cel::Value::Null());
    // An expression's value, from the request's shared slot when it has one.
    std::vector<std::optional<cel::Value>>& shared = c.via_template ? shared_template : shared_object;
    auto evaluate_shared = [&act, &eval, &shared](const policy::NamedExpression& e, int slot) {
      if (slot < 0) return e.program->Evaluate(act, eval);
      std::optional<cel::Value>& value = shared[static_cast<size_t>(slot)];
      if (!value) value = e.program->Evaluate(act, eval);
      return *value;
    };
    // What every lazy variable of this policy needs, behind one pointer: a provider
    // of two pointers is kept inside its std::function, without an allocation.
    struct LazyContext {
      const decltype(evaluate_shared)* evaluate;
      const std::vector<int>* slots;
      const policy::NamedExpression* first;  // slots are indexed by the variable's position
    } lazy{&evaluate_shared, &slots.variables, p.variables.data()};
    for (size_t i = 0; i < p.variables.size() && i < p.slots.variables.size(); ++i) {
      const policy::NamedExpression* v = &p.variables[i];
      act.BindLazy(p.slots.variables[i], [v, ctx = &lazy] {
        return (*ctx->evaluate)(*v, (*ctx->slots)[static_cast<size_t>(v - ctx->first)]);
      });
    }

    auto policy_error = [&](const std::string& message) {
      RuleResult r;
      r.policy = &p;
      r.outcome = p.failure_policy == policy::FailurePolicy::kFail ? Outcome::kError : Outcome::kIgnored;
      r.action = Action::kDeny;
      r.message = message;
      r.subject = subject;
      r.path = path;
      d.results.push_back(std::move(r));
    };

    bool applies = true;
    for (size_t i = 0; i < p.match_conditions.size(); ++i) {
      const policy::NamedExpression& mc = p.match_conditions[i];
      cel::Value v = evaluate_shared(mc, slots.conditions[i]);
      if (v.kind() == cel::Kind::kBool) {
        if (!v.bool_value()) {
          applies = false;
          break;
        }
        continue;
      }
      policy_error("matchCondition " + mc.name + " could not be evaluated: " +
                   (v.is_error() ? v.error_message() : "it did not return a bool"));
      applies = false;
      break;
    }
    if (!applies) continue;
    d.matched.push_back(&p);

    for (const auto& rule : p.validations) {
      // Built where it is kept (the results are reserved): most rules pass, and
      // moving a result of three strings costs more than their check.
      RuleResult& r = d.results.emplace_back();
      r.policy = &p;
      r.rule = &rule;
      r.action = rule.action.value_or(p.action);
      if (c.via_template) {
        r.subject = subject;
        r.path = path;
      }
      cel::Value v = rule.check.program->Evaluate(act, eval);
      if (v.kind() == cel::Kind::kBool && v.bool_value()) {
        r.outcome = Outcome::kPass;
      } else if (v.kind() == cel::Kind::kBool) {
        r.outcome = Outcome::kFail;
        r.message = rule.message;
        if (rule.message_expression) {
          cel::Value m = rule.message_expression->program->Evaluate(act, eval);
          if (m.kind() == cel::Kind::kString && !m.string_value().empty()) r.message = std::string(m.string_value());
        }
        if (r.message.empty()) r.message = "failed expression: " + rule.check.expression;
      } else {
        std::string why = v.is_error() ? v.error_message() : "the expression did not return a bool";
        r.outcome = p.failure_policy == policy::FailurePolicy::kFail ? Outcome::kError : Outcome::kIgnored;
        r.message = "could not be evaluated: " + why;
      }
      if (r.outcome == Outcome::kFail || r.outcome == Outcome::kError) {
        for (const auto& ex : exceptions_) {
          if (ExceptionCovers(ex, p, &rule, in)) {
            r.outcome = Outcome::kExcepted;
            r.exception = &ex;
            break;
          }
        }
      }
    }
    for (const auto& a : p.audit_annotations) {
      cel::Value v = a.value.program->Evaluate(act, eval);
      std::string key = p.name + "." + a.key;
      if (v.kind() == cel::Kind::kString) {
        if (!v.string_value().empty()) d.audit_annotations[key] = std::string(v.string_value());
      } else if (!v.is_null()) {
        warnings.emplace_back(p.severity, p.name + ": audit annotation " + a.key + " could not be evaluated: " +
                                              (v.is_error() ? v.error_message() : "it did not return a string or null"));
      }
    }
  }

  // Decide: denials, warnings (most severe policy first), audit annotations.
  std::vector<const RuleResult*> denials;
  int audit_n = 0;
  for (const RuleResult& r : d.results) {
    if (r.outcome == Outcome::kPass) continue;  // most of them: nothing to name
    std::string id = r.policy->name + "/" + (r.rule ? r.rule->name : std::string("matchConditions"));
    switch (r.outcome) {
      case Outcome::kPass: break;
      case Outcome::kFail:
      case Outcome::kError:
        if (r.action == Action::kDeny || r.outcome == Outcome::kError) {
          denials.push_back(&r);
        } else if (r.action == Action::kWarn) {
          warnings.emplace_back(r.policy->severity, id + ": " + LocatedMessage(r));
        } else {
          d.audit_annotations["audit-" + std::to_string(++audit_n)] = id + ": " + LocatedMessage(r);
        }
        break;
      case Outcome::kIgnored:
        warnings.emplace_back(r.policy->severity, id + " was not evaluated (failurePolicy Ignore): " + r.message);
        break;
      case Outcome::kExcepted:
        warnings.emplace_back(r.policy->severity,
                              id + " waived by exception " + r.exception->DisplayName() + " (ticket " + r.exception->ticket + ")");
        d.audit_annotations["exception-" + r.exception->name] = id + " waived; ticket " + r.exception->ticket;
        break;
    }
  }
  std::stable_sort(warnings.begin(), warnings.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& w : warnings) d.warnings.push_back(std::move(w.second));
  if (!denials.empty()) {
    d.allowed = false;
    d.message = DenialMessage(in.info, denials);
  }
  return d;
}

}  // namespace clausegate::engine
