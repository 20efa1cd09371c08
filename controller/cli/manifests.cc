#include "cli/manifests.h"

#include <iostream>
#include <sstream>

#include "admission/review.h"
#include "json/yaml.h"
#include "policy/loader.h"

namespace clausegate::cli {
namespace {

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


std::optional<cel::Value> Field(const cel::Value& v, std::string_view key) {
  if (v.kind() != cel::Kind::kMap) return std::nullopt;
  return v.MapFindString(key);
}

std::string Key(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

}  // namespace

bool ManifestReader::Read(const std::vector<std::string>& paths, std::vector<Item>* items) {
  bool ok = true;
  for (const auto& path : paths) {
    if (path == "-") {
      std::ostringstream ss;
      ss << stdin_.rdbuf();
      ok &= ReadText(ss.str(), "(stdin)", items);
      continue;
    }
    std::vector<Issue> issues;
    // The file rules of -p, but a testdata directory holds manifests too.
    auto files = policy::ReadPolicyFiles({path}, &issues, policy::SkipTestdata::kNo);
    for (const auto& i : issues) err_ << i.ToString() << "\n";
    ok &= issues.empty();
    for (const auto& f : files) ok &= ReadText(f.text, f.path, items);
  }
  return ok;
}


bool ManifestReader::ReadText(const std::string& text, const std::string& file, std::vector<Item>* items) {
  json::YamlOptions options;
  options.drop_null_fields = true;  // as the API server decodes them
  json::YamlStream stream = json::DecodeYamlStream(text, file, decoder_, {}, options);
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


void ManifestReader::Expand(const cel::Value& v, const std::string& file, SourcePosition pos, std::vector<Item>* items, int depth) {
  if (v.kind() != cel::Kind::kMap || depth > 4) return;
  std::string kind = engine::StringAt(v, {"kind"});
  if (kind == "AdmissionReview") {
    auto request = Field(v, "request");
    if (!request) return;
    Item it;
    it.file = file;
    it.position = pos;
    it.object = Field(*request, "object").value_or(cel::Value::Null());
    it.old_object = Field(*request, "oldObject").value_or(cel::Value::Null());
    it.request = *request;
    it.review_info = admission::RequestInfoOf(*request);
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


bool ParseNamespaceLabels(const std::string& spec, RequestDefaults* defaults, std::string* error) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    *error = "--namespace-labels \"" + spec + "\" is not NS=key=value,...";
    return false;
  }
  auto& labels = defaults->namespace_labels[spec.substr(0, eq)];
  std::stringstream rest(spec.substr(eq + 1));
  std::string kv;
  while (std::getline(rest, kv, ',')) {
    auto e = kv.find('=');
    if (e == std::string::npos) {
      *error = "--namespace-labels \"" + spec + "\": \"" + kv + "\" is not key=value";
      return false;
    }
    labels[kv.substr(0, e)] = kv.substr(e + 1);
  }
  return true;
}

InputBuilder::InputBuilder(const std::vector<Item>& items, const std::vector<Item>& olds, const RequestDefaults& defaults)
    : defaults_(defaults) {
  for (const auto& it : items) {
    if (engine::StringAt(it.object, {"kind"}) == "Namespace") namespaces_[engine::StringAt(it.object, {"metadata", "name"})] = it.object;
  }
  // A namespace known only by its labels (--namespace-labels, a suite's
  // namespaceLabels) still has an object, as it has in the cluster: policies read
  // namespaceObject either way.
  json::Decoder decoder;
  for (const auto& [ns, labels] : defaults.namespace_labels) {
    if (namespaces_.count(ns)) continue;
    std::string text = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":)" + json::JsonQuote(ns) + R"(,"labels":{)";
    std::map<std::string, std::string> all = labels;
    all.emplace("kubernetes.io/metadata.name", ns);  // the API server sets it on every namespace
    bool first = true;
    for (const auto& [k, v] : all) {
      text += (first ? "" : ",") + json::JsonQuote(k) + ":" + json::JsonQuote(v);
      first = false;
    }
    text += "}}}";
    auto doc = decoder.Decode(text);
    if (!doc.ok()) continue;
    made_namespaces_[ns] = *doc;
    namespaces_[ns] = cel::Value::Json((*doc)->root());
  }
  for (const auto& it : olds) {
    std::string kind = engine::StringAt(it.object, {"kind"});
    old_by_key_[Key(kind, NamespaceOf(it.object, kind), engine::StringAt(it.object, {"metadata", "name"}))] = it.object;
  }
}

std::string InputBuilder::NamespaceOf(const cel::Value& obj, const std::string& kind) const {
  if (ClusterScoped(kind)) return "";
  std::string ns = engine::StringAt(obj, {"metadata", "namespace"});
  return ns.empty() ? defaults_.default_namespace : ns;
}

Prepared InputBuilder::Build(const Item& it) const {
  const RequestDefaults& defaults = defaults_;
  Prepared p;
  engine::Input& input = p.input;
  input.now = defaults.now;
  if (it.review_info) {
    input.info = *it.review_info;
    input.object = it.object;
    input.old_object = it.old_object;
    input.request = it.request;  // the captured request itself, as the webhook sees it
  } else {
    const cel::Value& obj = it.object;
    std::string api = engine::StringAt(obj, {"apiVersion"});
    auto slash = api.find('/');
    input.info.group = slash == std::string::npos ? "" : api.substr(0, slash);
    input.info.version = slash == std::string::npos ? api : api.substr(slash + 1);
    input.info.kind = engine::StringAt(obj, {"kind"});
    input.info.resource = engine::PolicySet::ResourceForKind(input.info.kind);
    input.info.name = engine::StringAt(obj, {"metadata", "name"});
    input.info.namespace_name = NamespaceOf(obj, input.info.kind);
    input.info.operation = defaults.operation;
    input.info.username = defaults.username;
    input.info.groups = defaults.groups;
    auto old = old_by_key_.find(Key(input.info.kind, input.info.namespace_name, input.info.name));
    cel::Value before = old != old_by_key_.end() ? old->second : obj;
    if (defaults.operation == "CREATE") {
      input.object = obj;
    } else if (defaults.operation == "UPDATE") {
      input.object = obj;
      input.old_object = before;
    } else {
      input.old_object = before;
    }
  }
  const std::string& ns = input.info.namespace_name;
  if (!ns.empty()) {
    auto nso = namespaces_.find(ns);
    if (nso != namespaces_.end()) input.namespace_object = nso->second;
    if (auto made = made_namespaces_.find(ns); made != made_namespaces_.end()) p.namespace_doc = made->second;
    if (auto lab = defaults.namespace_labels.find(ns); lab != defaults.namespace_labels.end()) {
      input.namespace_labels = lab->second;
    } else if (nso != namespaces_.end()) {
      std::map<std::string, std::string> labels;
      auto l = Field(Field(nso->second, "metadata").value_or(cel::Value()), "labels");
      if (l && l->kind() == cel::Kind::kMap) {
        l->ForEachEntry([&](const cel::Value& k, const cel::Value& v) {
          if (k.kind() == cel::Kind::kString && v.kind() == cel::Kind::kString) {
            labels[std::string(k.string_value())] = std::string(v.string_value());
          }
          return true;
        });
      }
      input.namespace_labels = std::move(labels);
    }
  }
  if (!it.review_info) input.request = engine::RequestValue(input.info);
  const cel::Value& shown = input.object.is_null() ? input.old_object : input.object;
  p.ref = {engine::StringAt(shown, {"apiVersion"}), input.info.kind, input.info.namespace_name, input.info.name, it.file, it.position};
  return p;
}

std::vector<Prepared> PrepareInputs(const std::vector<Item>& items, const std::vector<Item>& olds,
                                    const RequestDefaults& defaults) {
  InputBuilder builder(items, olds, defaults);
  std::vector<Prepared> out;
  out.reserve(items.size());
  for (const Item& it : items) out.push_back(builder.Build(it));
  return out;
}

}  // namespace clausegate::cli
