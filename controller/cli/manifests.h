#pragma once
// Manifests and captured AdmissionReviews -> engine inputs, shared by `check`
// and `test` so that both judge an object the same way.

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "json/document.h"
#include "report/check_report.h"

namespace clausegate::cli {

// One thing to judge: a manifest, or a captured AdmissionReview.
struct Item {
  cel::Value object, old_object;
  std::optional<engine::RequestInfo> review_info;  // set for AdmissionReviews
  cel::Value request;                              // the captured AdmissionRequest, for reviews
  std::string file;
  SourcePosition position;
};

// Reads files, directories and "-" (stdin): multi-document YAML or JSON, with
// List objects expanded. Keeps the decoded documents alive.
class ManifestReader {
 public:
  ManifestReader(std::istream& in, std::ostream& err) : stdin_(in), err_(err) {}
  // False, with messages on err, if any input could not be read.
  bool Read(const std::vector<std::string>& paths, std::vector<Item>* items);
  bool ReadText(const std::string& text, const std::string& file, std::vector<Item>* items);

 private:
  void Expand(const cel::Value& v, const std::string& file, SourcePosition pos, std::vector<Item>* items, int depth);

  std::istream& stdin_;
  std::ostream& err_;
  json::Decoder decoder_;
  std::vector<json::DocumentPtr> docs_;
};

// How manifests become admission requests (AdmissionReviews carry their own).
struct RequestDefaults {
  std::string operation = "CREATE";
  std::string username;
  std::vector<std::string> groups;
  std::string default_namespace = "default";
  std::map<std::string, std::map<std::string, std::string>> namespace_labels;
  cel::Timestamp now;
};

struct Prepared {
  engine::Input input;
  report::ObjectRef ref;
  json::DocumentPtr namespace_doc;  // keeps a namespace made from labels alive with the input
};

// Turns items into engine inputs. Namespace objects among `items` supply labels
// (and namespaceObject) for the others; `olds` are matched to items by kind,
// namespace and name.
class InputBuilder {
 public:
  InputBuilder(const std::vector<Item>& items, const std::vector<Item>& olds, const RequestDefaults& defaults);
  Prepared Build(const Item& item) const;

 private:
  std::string NamespaceOf(const cel::Value& obj, const std::string& kind) const;

  const RequestDefaults& defaults_;
  std::map<std::string, cel::Value> namespaces_;
  std::map<std::string, json::DocumentPtr> made_namespaces_;  // from labels alone
  std::map<std::string, cel::Value> old_by_key_;
};

// Every item at once (for small inputs such as test suites).
std::vector<Prepared> PrepareInputs(const std::vector<Item>& items, const std::vector<Item>& olds,
                                    const RequestDefaults& defaults);

// Parses "NS=k=v,k2=v2" into defaults->namespace_labels; false with a message.
bool ParseNamespaceLabels(const std::string& spec, RequestDefaults* defaults, std::string* error);

}  // namespace clausegate::cli
