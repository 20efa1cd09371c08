#include "cli/check_command.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "engine/engine.h"
#include "json/yaml.h"
#include "policy/loader.h"
#include "report/check_report.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate check -p POLICIES... -f INPUTS... [options]\n"
    "  Evaluates manifests (or captured AdmissionReviews) as admission requests.\n"
    "  -p, --policies PATH        policy files or directories (repeatable)\n"
    "  -f, --filename PATH        manifests: files, directories or - for stdin (repeatable);\n"
    "                             multi-document YAML, JSON, List objects, AdmissionReviews\n"
    "  -l, --selector SELECTOR    only policies whose labels match (kubectl syntax)\n"
    "  -o, --output FORMAT        text (default), json, junit, sarif or policyreport\n"
    "  --operation OP             CREATE (default), UPDATE or DELETE\n"
    "  --old PATH                 the objects before the change (UPDATE, DELETE), matched by kind/namespace/name\n"
    "  --user NAME, --groups A,B  the requesting user\n"
    "  --namespace NS             namespace for namespaced objects that name none (default: default)\n"
    "  --namespace-labels NS=k=v,k2=v2   labels of a namespace (repeatable); Namespace objects in\n"
    "                             the input supply them too\n"
    "  --now RFC3339              the evaluation time (default: now)\n"
    "  --fail-on deny|warn        exit 1 on denials (default) or also on warnings\n";

// Kinds that have no namespace.
bool ClusterScoped(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {
      "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
      "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
      "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PriorityClass", "IngressClass",
      "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService", "CertificateSigningRequest",
      "ComplianceCatalogue", "CompliancePolicy"};
  for (auto k : kKinds) {
    if (k == kind) return true;
  }
  return false;
}

std::string Str(const cel::Value& v, std::initializer_list<std::string_view> path) {
  cel::Value cur = v;
  for (auto key : path) {
    if (cur.kind() != cel::Kind::kMap) return "";
    auto next = cur.MapFindString(key);
    if (!next) return "";
    cur = *next;
  }
  return cur.kind() == cel::Kind::kString ? std::string(cur.string_value()) : "";
}

std::optional<cel::Value> Field(const cel::Value& v, std::string_view key) {
  if (v.kind() != cel::Kind::kMap) return std::nullopt;
  return v.MapFindString(key);
}

// One thing to judge: a manifest, or a captured AdmissionReview.
struct Item {
  cel::Value object, old_object;
  std::optional<engine::RequestInfo> review_info;  // set for AdmissionReviews
  std::string file;
  SourcePosition position;
};

struct Options {
  std::vector<std::string> policies, inputs, old_inputs, namespace_labels;
  std::string selector, output = "text", operation = "CREATE", user, groups, default_namespace = "default", now,
                        fail_on = "deny";
};

class Inputs {
 public:
  Inputs(std::istream& in, std::ostream& err) : stdin_(in), err_(err) {}

  // Reads every input into items; false (with messages) on a bad input.
  bool Read(const std::vector<std::string>& paths, std::vector<Item>* items) {
    bool ok = true;
    for (const auto& path : paths) {
      if (path == "-") {
        std::ostringstream ss;
        ss << stdin_.rdbuf();
        ok &= Parse(ss.str(), "(stdin)", items);
        continue;
      }
      std::vector<Issue> issues;
      auto files = policy::ReadPolicyFiles({path}, &issues);  // same file rules as -p
      for (const auto& i : issues) err_ << i.ToString() << "\n";
      ok &= issues.empty();
      for (const auto& f : files) ok &= Parse(f.text, f.path, items);
    }
    return ok;
  }

  std::vector<json::DocumentPtr>& documents() { return docs_; }

 private:
  bool Parse(const std::string& text, const std::string& file, std::vector<Item>* items) {
    json::YamlStream stream = json::DecodeYamlStream(text, file, decoder_);
    if (stream.error) {
      err_ << stream.error->ToString() << "\n";
      return false;
    }
    for (auto& d : stream.documents) {
      docs_.push_back(d.doc);
      Expand(cel::Value::Json(d.doc->root()), file, d.position, items, 0);
    }
    return true;
  }

  void Expand(const cel::Value& v, const std::string& file, SourcePosition pos, std::vector<Item>* items, int depth) {
    if (v.kind() != cel::Kind::kMap || depth > 4) return;
    std::string kind = Str(v, {"kind"});
    if (kind == "AdmissionReview") {
      auto request = Field(v, "request");
      if (!request) return;
      Item it;
      it.file = file;
      it.position = pos;
      it.object = Field(*request, "object").value_or(cel::Value::Null());
      it.old_object = Field(*request, "oldObject").value_or(cel::Value::Null());
      engine::RequestInfo info;
      info.uid = Str(*request, {"uid"});
      info.operation = Str(*request, {"operation"});
      info.group = Str(*request, {"kind", "group"});
      info.version = Str(*request, {"kind", "version"});
      info.kind = Str(*request, {"kind", "kind"});
      info.resource = Str(*request, {"resource", "resource"});
      info.sub_resource = Str(*request, {"subResource"});
      info.namespace_name = Str(*request, {"namespace"});
      info.name = Str(*request, {"name"});
      info.username = Str(*request, {"userInfo", "username"});
      if (auto groups = Field(*request, "userInfo")) {
        if (auto g = Field(*groups, "groups"); g && g->kind() == cel::Kind::kList) {
          g->ForEachElement([&](const cel::Value& e) {
            if (e.kind() == cel::Kind::kString) info.groups.emplace_back(e.string_value());
            return true;
          });
        }
      }
      auto dry = Field(*request, "dryRun");
      info.dry_run = dry && dry->kind() == cel::Kind::kBool && dry->bool_value();
      it.review_info = std::move(info);
      items->push_back(std::move(it));
      return;
    }
    auto list = Field(v, "items");
    if (kind.ends_with("List") && list && list->kind() == cel::Kind::kList) {
      list->ForEachElement([&](const cel::Value& e) {
        Expand(e, file, pos, items, depth + 1);
        return true;
      });
      return;
    }
    if (kind.empty()) return;  // not a Kubernetes object
    Item it;
    it.object = v;
    it.file = file;
    it.position = pos;
    items->push_back(std::move(it));
  }

  std::istream& stdin_;
  std::ostream& err_;
  json::Decoder decoder_;
  std::vector<json::DocumentPtr> docs_;
};

std::string Key(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

}  // namespace

int RunCheckCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err,
                    bool stdout_is_tty) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&](std::string* into) {
      if (i + 1 >= args.size()) {
        err << "clausegate check: " << a << " needs a value\n" << kUsage;
        return false;
      }
      *into = args[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a == "-p" || a == "--policies") {
      if (!need(&v)) return 2;
      o.policies.push_back(v);
    } else if (a == "-f" || a == "--filename") {
      if (!need(&v)) return 2;
      o.inputs.push_back(v);
    } else if (a == "--old") {
      if (!need(&v)) return 2;
      o.old_inputs.push_back(v);
    } else if (a == "--namespace-labels") {
      if (!need(&v)) return 2;
      o.namespace_labels.push_back(v);
    } else if (a == "-l" || a == "--selector") {
      if (!need(&o.selector)) return 2;
    } else if (a == "-o" || a == "--output") {
      if (!need(&o.output)) return 2;
    } else if (a == "--operation") {
      if (!need(&o.operation)) return 2;
    } else if (a == "--user") {
      if (!need(&o.user)) return 2;
    } else if (a == "--groups") {
      if (!need(&o.groups)) return 2;
    } else if (a == "--namespace") {
      if (!need(&o.default_namespace)) return 2;
    } else if (a == "--now") {
      if (!need(&o.now)) return 2;
    } else if (a == "--fail-on") {
      if (!need(&o.fail_on)) return 2;
    } else {
      err << "clausegate check: unknown argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (o.policies.empty() || o.inputs.empty()) {
    err << "clausegate check: both -p POLICIES and -f INPUTS are needed\n" << kUsage;
    return 2;
  }
  if (o.output != "text" && o.output != "json" && o.output != "junit" && o.output != "sarif" && o.output != "policyreport") {
    err << "clausegate check: output format \"" << o.output << "\" is not one of text, json, junit, sarif, policyreport\n";
    return 2;
  }
  if (o.operation != "CREATE" && o.operation != "UPDATE" && o.operation != "DELETE") {
    err << "clausegate check: --operation must be CREATE, UPDATE or DELETE\n";
    return 2;
  }
  if (o.fail_on != "deny" && o.fail_on != "warn") {
    err << "clausegate check: --fail-on must be deny or warn\n";
    return 2;
  }
  std::string sel_error;
  auto selector = policy::ParseLabelSelector(o.selector, &sel_error);
  if (!selector) {
    err << "clausegate check: " << sel_error << "\n";
    return 2;
  }
  cel::Timestamp now;
  if (!o.now.empty()) {
    auto t = cel::ParseTimestamp(o.now);
    if (!t) {
      err << "clausegate check: --now \"" << o.now << "\" is not an RFC 3339 timestamp\n";
      return 2;
    }
    now = *t;
  } else {
    now.seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  // --namespace-labels NS=k=v,k2=v2
  std::map<std::string, std::map<std::string, std::string>> ns_labels;
  for (const auto& spec : o.namespace_labels) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "clausegate check: --namespace-labels \"" << spec << "\" is not NS=key=value,...\n";
      return 2;
    }
    auto& labels = ns_labels[spec.substr(0, eq)];
    std::stringstream rest(spec.substr(eq + 1));
    std::string kv;
    while (std::getline(rest, kv, ',')) {
      auto e = kv.find('=');
      if (e == std::string::npos) {
        err << "clausegate check: --namespace-labels \"" << spec << "\": \"" << kv << "\" is not key=value\n";
        return 2;
      }
      labels[kv.substr(0, e)] = kv.substr(e + 1);
    }
  }

  // Policies: the same loader as lint; any problem rejects the whole set.
  std::vector<Issue> issues;
  auto sources = policy::ReadPolicyFiles(o.policies, &issues);
  policy::LoadResult loaded = policy::LoadPolicies(sources);
  issues.insert(issues.end(), loaded.issues.begin(), loaded.issues.end());
  if (!issues.empty()) {
    for (const auto& i : issues) err << i.ToString() << "\n";
    err << "clausegate check: the policy set has " << issues.size() << " problem(s); nothing was checked\n";
    return 2;
  }
  std::vector<policy::Policy> selected;
  for (auto& p : loaded.policies) {
    if (selector->Matches(p.labels)) selected.push_back(std::move(p));
  }
  engine::PolicySet set(std::move(selected), std::move(loaded.exceptions));

  Inputs inputs(in, err);
  std::vector<Item> items, olds;
  if (!inputs.Read(o.inputs, &items) || !inputs.Read(o.old_inputs, &olds)) {
    err << "clausegate check: unreadable input; nothing was checked\n";
    return 2;
  }
  // Namespace objects in the input supply labels and themselves for the others.
  std::map<std::string, cel::Value> namespaces;
  for (const auto& it : items) {
    if (Str(it.object, {"kind"}) == "Namespace") namespaces[Str(it.object, {"metadata", "name"})] = it.object;
  }
  std::map<std::string, cel::Value> old_by_key;
  for (const auto& it : olds) {
    std::string kind = Str(it.object, {"kind"});
    std::string ns = ClusterScoped(kind) ? "" : Str(it.object, {"metadata", "namespace"});
    if (!ClusterScoped(kind) && ns.empty()) ns = o.default_namespace;
    old_by_key[Key(kind, ns, Str(it.object, {"metadata", "name"}))] = it.object;
  }
  std::vector<std::string> groups;
  {
    std::stringstream gs(o.groups);
    std::string g;
    while (std::getline(gs, g, ',')) {
      if (!g.empty()) groups.push_back(g);
    }
  }

  bool progress = &err == &std::cerr && items.size() > 300 && isatty(2) != 0;
  std::vector<report::CheckedObject> results;
  for (size_t n = 0; n < items.size(); ++n) {
    const Item& it = items[n];
    engine::Input input;
    input.now = now;
    if (it.review_info) {
      input.info = *it.review_info;
      input.object = it.object;
      input.old_object = it.old_object;
    } else {
      const cel::Value& obj = it.object;
      std::string api = Str(obj, {"apiVersion"});
      auto slash = api.find('/');
      input.info.group = slash == std::string::npos ? "" : api.substr(0, slash);
      input.info.version = slash == std::string::npos ? api : api.substr(slash + 1);
      input.info.kind = Str(obj, {"kind"});
      input.info.resource = engine::PolicySet::ResourceForKind(input.info.kind);
      input.info.name = Str(obj, {"metadata", "name"});
      if (!ClusterScoped(input.info.kind)) {
        input.info.namespace_name = Str(obj, {"metadata", "namespace"});
        if (input.info.namespace_name.empty()) input.info.namespace_name = o.default_namespace;
      }
      input.info.operation = o.operation;
      input.info.username = o.user;
      input.info.groups = groups;
      std::string key = Key(input.info.kind, input.info.namespace_name, input.info.name);
      auto old = old_by_key.find(key);
      if (o.operation == "CREATE") {
        input.object = obj;
      } else if (o.operation == "UPDATE") {
        input.object = obj;
        input.old_object = old != old_by_key.end() ? old->second : obj;
      } else {
        input.old_object = old != old_by_key.end() ? old->second : obj;
      }
    }
    const std::string& ns = input.info.namespace_name;
    if (!ns.empty()) {
      if (auto lab = ns_labels.find(ns); lab != ns_labels.end()) {
        input.namespace_labels = lab->second;
      } else if (auto nso = namespaces.find(ns); nso != namespaces.end()) {
        std::map<std::string, std::string> labels;
        if (auto meta = Field(nso->second, "metadata")) {
          if (auto l = Field(*meta, "labels"); l && l->kind() == cel::Kind::kMap) {
            l->ForEachEntry([&](const cel::Value& k, const cel::Value& v) {
              if (k.kind() == cel::Kind::kString && v.kind() == cel::Kind::kString) {
                labels[std::string(k.string_value())] = std::string(v.string_value());
              }
              return true;
            });
          }
        }
        input.namespace_labels = labels;
        input.namespace_object = nso->second;
      }
    }
    input.request = engine::RequestValue(input.info);
    report::CheckedObject co;
    const cel::Value& shown = input.object.is_null() ? input.old_object : input.object;
    co.object = {Str(shown, {"apiVersion"}), input.info.kind, input.info.namespace_name, input.info.name, it.file,
                 it.position};
    co.decision = set.Evaluate(input);
    results.push_back(std::move(co));
    if (progress && (n + 1) % 200 == 0) err << "\rchecked " << (n + 1) << "/" << items.size() << std::flush;
  }
  if (progress) err << "\r" << std::string(40, ' ') << "\r";

  if (o.output == "json") {
    report::WriteJson(out, results);
  } else if (o.output == "junit") {
    report::WriteJunit(out, results);
  } else if (o.output == "sarif") {
    report::WriteSarif(out, results, CLAUSEGATE_VERSION);
  } else if (o.output == "policyreport") {
    report::WritePolicyReports(out, results, now.seconds);
  } else {
    report::WriteText(out, results, stdout_is_tty);
  }
  report::CheckSummary s = report::Summarise(results);
  if (s.denied > 0) return 1;
  if (o.fail_on == "warn" && s.warnings > 0) return 1;
  return 0;
}

}  // namespace clausegate::cli
