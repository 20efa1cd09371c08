#pragma once
// Manifests, captured AdmissionReviews and listed objects -> engine inputs,
// shared by `check`, `test` and `audit` so that all judge an object the same way.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "json/document.h"
#include "report/check_report.h"

namespace clausegate::inputs {

// One thing to judge: a manifest, or a captured AdmissionReview.
struct Item {
  cel::Value object, old_object;
  std::optional<engine::RequestInfo> review_info;  // set for AdmissionReviews
  cel::Value request;                              // the captured AdmissionRequest, for reviews
  std::string file;
  SourcePosition position;
  json::DocumentPtr doc;  // the document the values above point into
  // The plural resource, when the source knows it (an object listed from the API
  // server); otherwise Kubernetes' default pluralisation of the kind.
  std::string resource;
};

struct ReadOptions {
  // The JSON of one object, as the API server bounds a request. The YAML text of one
  // document may be 4x this plus 1 MiB (indentation, comments); a file or stream has
  // no bound of its own.
  size_t max_document_bytes = 3 * 1024 * 1024;
};

// Reads files, directories (*.yaml, *.yml, *.json) and "-" (stdin): multi-document
// YAML or JSON, with List objects expanded. A stream is read document by document,
// so memory follows the largest document, not the input; a document that cannot be
// read is a problem at its position and the rest is still read.
class ManifestReader {
 public:
  explicit ManifestReader(std::istream& in, ReadOptions options = {});
  ~ManifestReader();
  ManifestReader(const ManifestReader&) = delete;
  ManifestReader& operator=(const ManifestReader&) = delete;

  using OnItem = std::function<void(Item&&)>;
  using OnProblem = std::function<void(report::InputProblem)>;

  // Every item, in input order.
  void ForEach(const std::vector<std::string>& paths, const OnItem& on_item, const OnProblem& on_problem);
  // Only the Namespace objects: a first pass that leaves other documents unparsed
  // and says nothing of problems (the full pass does). Stdin read here is kept in a
  // temporary file for the pass that follows.
  void ForEachNamespace(const std::vector<std::string>& paths, const OnItem& on_item);
  // Everything at once, for small inputs (suites, --old).
  std::vector<Item> ReadAll(const std::vector<std::string>& paths, std::vector<report::InputProblem>* problems);

  // Documents seen by the last pass (for progress).
  uint64_t documents_seen() const { return documents_seen_; }

 private:
  void Read(const std::vector<std::string>& paths, bool namespaces_only, const OnItem& on_item,
            const OnProblem& on_problem);
  void ReadStream(std::istream& in, const std::string& file, bool namespaces_only, const OnItem& on_item,
                  const OnProblem& on_problem);
  bool SpoolStdin(std::string* error);

  std::istream& stdin_;
  ReadOptions options_;
  json::Decoder decoder_;
  int spool_fd_ = -1;  // stdin, kept for a second pass (an unlinked temporary file)
  uint64_t documents_seen_ = 0;
};

// How manifests become admission requests (AdmissionReviews carry their own).
struct RequestDefaults {
  std::string operation = "CREATE";
  std::string username;
  std::vector<std::string> groups;
  std::string default_namespace = "default";
  std::map<std::string, std::map<std::string, std::string>> namespace_labels;
  clausegate::Timestamp now;
};

struct Prepared {
  engine::Input input;
  report::ObjectRef ref;
};

// Turns items into engine inputs. Namespace objects given with AddNamespace supply
// labels (and namespaceObject) for the others; `olds` are matched to items by kind,
// namespace and name.
class InputBuilder {
 public:
  InputBuilder(const std::vector<Item>& olds, const RequestDefaults& defaults);
  // A Namespace object from the input (other kinds are ignored).
  void AddNamespace(const Item& item);
  Prepared Build(const Item& item) const;

 private:
  struct Known {
    cel::Value object;
    json::DocumentPtr doc;  // keeps `object` alive
  };
  std::string NamespaceOf(const cel::Value& obj, const std::string& kind) const;
  void AddNamespaceFromLabels(const std::string& ns, const std::map<std::string, std::string>& labels);

  const RequestDefaults& defaults_;
  std::map<std::string, Known> namespaces_;
  std::map<std::string, Known> old_by_key_;
};

// Every item at once (for small inputs such as test suites).
std::vector<Prepared> PrepareInputs(const std::vector<Item>& items, const std::vector<Item>& olds,
                                    const RequestDefaults& defaults);

// Parses "NS=k=v,k2=v2" into defaults->namespace_labels; false with a message.
bool ParseNamespaceLabels(const std::string& spec, RequestDefaults* defaults, std::string* error);

}  // namespace clausegate::inputs
