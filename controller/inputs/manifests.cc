#include "inputs/manifests.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "admission/review.h"
#include "json/yaml.h"
#include "policy/loader.h"

namespace clausegate::inputs {
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

// The items of one document: itself, the items of a List, or a captured review.
void Expand(const cel::Value& v, const std::string& file, SourcePosition pos, std::vector<Item>* items, int depth) {
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

}  // namespace

ManifestReader::ManifestReader(std::istream& in, ReadOptions options)
    : stdin_(in), options_(options), decoder_(json::DecodeLimits{.max_bytes = options.max_document_bytes}) {}

ManifestReader::~ManifestReader() {
  if (spool_fd_ >= 0) close(spool_fd_);
}

void ManifestReader::ForEach(const std::vector<std::string>& paths, const OnItem& on_item, const OnProblem& on_problem) {
  Read(paths, false, on_item, on_problem);
}

void ManifestReader::ForEachNamespace(const std::vector<std::string>& paths, const OnItem& on_item) {
  Read(paths, true, on_item, [](report::InputProblem) {});
}

std::vector<Item> ManifestReader::ReadAll(const std::vector<std::string>& paths,
                                          std::vector<report::InputProblem>* problems) {
  std::vector<Item> items;
  Read(paths, false, [&](Item&& it) { items.push_back(std::move(it)); },
       [&](report::InputProblem p) { problems->push_back(std::move(p)); });
  return items;
}

bool ManifestReader::SpoolStdin(std::string* error) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/clausegate-stdin-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) {
    *error = "cannot keep stdin for a second pass: " + std::string(std::strerror(errno));
    return false;
  }
  unlink(path.c_str());  // gone with the process, whatever happens
  char buf[64 * 1024];
  while (stdin_.read(buf, sizeof buf), stdin_.gcount() > 0) {
    const char* p = buf;
    auto left = static_cast<size_t>(stdin_.gcount());
    while (left > 0) {
      ssize_t n = write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *error = "cannot keep stdin for a second pass: " + std::string(std::strerror(errno));
        close(fd);
        return false;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  spool_fd_ = fd;
  return true;
}

void ManifestReader::Read(const std::vector<std::string>& paths, bool namespaces_only, const OnItem& on_item,
                          const OnProblem& on_problem) {
  documents_seen_ = 0;
  auto error = [&](Issue issue) { on_problem({report::InputProblem::Severity::kError, std::move(issue)}); };
  for (const auto& path : paths) {
    if (path == "-") {
      std::string why;
      if (spool_fd_ < 0 && namespaces_only && !SpoolStdin(&why)) {
        error({"(stdin)", {}, why});
        continue;
      }
      if (spool_fd_ < 0) {
        ReadStream(stdin_, "(stdin)", namespaces_only, on_item, on_problem);
        continue;
      }
      // Linux: a new open file description of the spool, read from its start.
      std::ifstream spooled("/proc/self/fd/" + std::to_string(spool_fd_), std::ios::binary);
      if (!spooled) {
        error({"(stdin)", {}, "cannot read stdin again from its temporary file"});
        continue;
      }
      ReadStream(spooled, "(stdin)", namespaces_only, on_item, on_problem);
      continue;
    }
    std::vector<Issue> issues;
    // The file rules of kubectl: a testdata directory holds manifests too.
    auto files = policy::ListFiles({path}, &issues, policy::FileSet::kManifests);
    for (auto& i : issues) error(std::move(i));
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        error({f, {}, "cannot open: " + std::string(std::strerror(errno))});
        continue;
      }
      ReadStream(in, f, namespaces_only, on_item, on_problem);
    }
  }
}

void ManifestReader::ReadStream(std::istream& in, const std::string& file, bool namespaces_only, const OnItem& on_item,
                                const OnProblem& on_problem) {
  json::YamlOptions options;
  options.drop_null_fields = true;  // as the API server decodes them
  json::YamlDocumentSplitter splitter(in, options_.max_document_bytes * 4 + (1 << 20));
  json::YamlChunk chunk;
  while (splitter.Next(&chunk)) {
    ++documents_seen_;
    // A Namespace (or a List of them) names its kind; a backslash could spell it with
    // an escape. Anything else cannot be one, and is not parsed in this pass.
    if (namespaces_only && (chunk.too_large || (chunk.text.find("Namespace") == std::string::npos &&
                                                chunk.text.find('\\') == std::string::npos))) {
      continue;
    }
    json::YamlStream stream;
    json::DecodeYamlChunk(chunk, file, decoder_, options, &stream);
    if (!namespaces_only) {
      for (auto& e : stream.errors) on_problem({report::InputProblem::Severity::kError, std::move(e)});
      for (auto& w : stream.warnings) on_problem({report::InputProblem::Severity::kWarning, std::move(w)});
    }
    for (auto& d : stream.documents) {
      std::vector<Item> items;
      Expand(cel::Value::Json(*d.doc), file, d.position, &items, 0);
      for (auto& it : items) {
        if (namespaces_only && (it.review_info || engine::StringAt(it.object, {"kind"}) != "Namespace")) continue;
        it.doc = d.doc;
        on_item(std::move(it));
      }
    }
  }
  if (splitter.read_error()) {
    on_problem({report::InputProblem::Severity::kError, {file, {}, "read error: " + std::string(std::strerror(errno))}});
  }
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

InputBuilder::InputBuilder(const std::vector<Item>& olds, const RequestDefaults& defaults) : defaults_(defaults) {
  // A namespace known only by its labels (--namespace-labels, a suite's
  // namespaceLabels) still has an object, as it has in the cluster: policies read
  // namespaceObject either way. A Namespace in the input replaces it.
  for (const auto& [ns, labels] : defaults.namespace_labels) AddNamespaceFromLabels(ns, labels);
  for (const auto& it : olds) {
    std::string kind = engine::StringAt(it.object, {"kind"});
    old_by_key_[Key(kind, NamespaceOf(it.object, kind), engine::StringAt(it.object, {"metadata", "name"}))] = {it.object,
                                                                                                          it.doc};
  }
}

void InputBuilder::AddNamespaceFromLabels(const std::string& ns, const std::map<std::string, std::string>& labels) {
  std::string text = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":)" + json::JsonQuote(ns) + R"(,"labels":{)";
  std::map<std::string, std::string> all = labels;
  all.emplace("kubernetes.io/metadata.name", ns);  // the API server sets it on every namespace
  bool first = true;
  for (const auto& [k, v] : all) {
    text += (first ? "" : ",") + json::JsonQuote(k) + ":" + json::JsonQuote(v);
    first = false;
  }
  text += "}}}";
  json::Decoder decoder;
  auto doc = decoder.Decode(text);
  if (!doc.ok()) return;
  namespaces_[ns] = {cel::Value::Json(**doc), *doc};
}

void InputBuilder::AddNamespace(const Item& it) {
  if (it.review_info || engine::StringAt(it.object, {"kind"}) != "Namespace") return;
  namespaces_[engine::StringAt(it.object, {"metadata", "name"})] = {it.object, it.doc};
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
    input.info.resource = it.resource.empty() ? engine::PolicySet::ResourceForKind(input.info.kind) : it.resource;
    input.info.name = engine::StringAt(obj, {"metadata", "name"});
    input.info.namespace_name = NamespaceOf(obj, input.info.kind);
    input.info.operation = defaults.operation;
    input.info.username = defaults.username;
    input.info.groups = defaults.groups;
    auto old = old_by_key_.find(Key(input.info.kind, input.info.namespace_name, input.info.name));
    cel::Value before = obj;
    if (old != old_by_key_.end()) {
      before = old->second.object;
      input.keep_alive.push_back(old->second.doc);
    }
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
    if (nso != namespaces_.end()) {
      input.namespace_object = nso->second.object;
      input.keep_alive.push_back(nso->second.doc);
    }
    if (auto lab = defaults.namespace_labels.find(ns); lab != defaults.namespace_labels.end()) {
      input.namespace_labels = lab->second;
    } else if (nso != namespaces_.end()) {
      std::map<std::string, std::string> labels;
      auto l = Field(Field(nso->second.object, "metadata").value_or(cel::Value()), "labels");
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
  InputBuilder builder(olds, defaults);
  for (const Item& it : items) builder.AddNamespace(it);
  std::vector<Prepared> out;
  out.reserve(items.size());
  for (const Item& it : items) out.push_back(builder.Build(it));
  return out;
}

}  // namespace clausegate::inputs
