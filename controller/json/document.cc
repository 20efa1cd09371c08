#include "json/document.h"

#include "json/yaml_scalar.h"  // JsonQuote

#include <unordered_map>
#include <unordered_set>

namespace clausegate::json {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Whether any object holds a key twice. simdjson keeps every entry and finds the
// first; Kubernetes' decoding keeps the last, so such documents are rewritten.
bool HasRepeatedKeys(element e) {
  if (e.type() == element_type::ARRAY) {
    for (element x : simdjson::dom::array(e)) {
      if (HasRepeatedKeys(x)) return true;
    }
    return false;
  }
  if (e.type() != element_type::OBJECT) return false;
  simdjson::dom::object obj(e);
  constexpr size_t kSmall = 16;
  std::string_view small[kSmall];
  size_t n = 0;
  std::unordered_set<std::string_view> large;
  for (auto field : obj) {
    if (n < kSmall) {
      for (size_t i = 0; i < n; ++i) {
        if (small[i] == field.key) return true;
      }
      small[n] = field.key;
      if (++n == kSmall) large.insert(small, small + kSmall);
    } else if (!large.insert(field.key).second) {
      return true;
    }
    if (HasRepeatedKeys(field.value)) return true;
  }
  return false;
}

// The JSON text of `e` with every object keeping only the last entry of each key.
void WriteLastWins(element e, std::string* out) {
  if (e.type() == element_type::ARRAY) {
    *out += '[';
    bool first = true;
    for (element x : simdjson::dom::array(e)) {
      if (!first) *out += ',';
      first = false;
      WriteLastWins(x, out);
    }
    *out += ']';
    return;
  }
  if (e.type() != element_type::OBJECT) {
    *out += simdjson::minify(e);
    return;
  }
  simdjson::dom::object obj(e);
  std::unordered_map<std::string_view, size_t> last;
  size_t i = 0;
  for (auto field : obj) last[field.key] = i++;
  *out += '{';
  bool first = true;
  i = 0;
  for (auto field : obj) {
    if (last[field.key] != i++) continue;  // a later entry wins
    if (!first) *out += ',';
    first = false;
    *out += JsonQuote(field.key);
    *out += ':';
    WriteLastWins(field.value, out);
  }
  *out += '}';
}

}  // namespace

Result<DocumentPtr> Decoder::Decode(std::string_view json_text, KeyOrder keys) {
  if (json_text.size() > limits_.max_bytes) {
    return ResourceExhausted("document of " + std::to_string(json_text.size()) +
                             " bytes exceeds the limit of " + std::to_string(limits_.max_bytes));
  }
  if (!allocated_ || parser_.capacity() < json_text.size()) {
    if (parser_.allocate(std::max<size_t>(json_text.size(), 64 * 1024), limits_.max_depth) !=
        simdjson::SUCCESS) {
      return Internal("cannot allocate JSON decoder buffers");
    }
    allocated_ = true;
  }
  std::shared_ptr<Document> doc(new Document());
  simdjson::dom::element root;
  auto err = parser_.parse_into_document(doc->doc_, json_text.data(), json_text.size(), true)
                 .get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return InvalidArgument("JSON nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
  }
  if (err != simdjson::SUCCESS) {
    return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (keys == KeyOrder::kMayRepeat && HasRepeatedKeys(root)) {
    // Rare (no API server sends it): decode again from text where each key is once.
    std::string unique;
    unique.reserve(json_text.size());
    WriteLastWins(root, &unique);
    if (parser_.capacity() < unique.size() &&
        parser_.allocate(unique.size(), limits_.max_depth) != simdjson::SUCCESS) {
      return Internal("cannot allocate JSON decoder buffers");
    }
    std::shared_ptr<Document> again(new Document());
    if (parser_.parse_into_document(again->doc_, unique.data(), unique.size(), true).get(root) != simdjson::SUCCESS) {
      return Internal("cannot decode the document again without repeated keys");
    }
    again->root_ = root;
    return DocumentPtr(std::move(again));
  }
  doc->root_ = root;
  return DocumentPtr(std::move(doc));
}

}  // namespace clausegate::json
