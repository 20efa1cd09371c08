#pragma once
// An immutable decoded JSON document that evaluators read in place.
//
// Requests and manifests are decoded once (simdjson's DOM: a flat tape) and then
// shared read-only by every expression that looks at them; nothing copies the tree.

#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "common/status.h"
#include "json/key_index.h"

namespace clausegate::json {

struct DecodeLimits {
  size_t max_bytes = 3 * 1024 * 1024;  // the API server's own request bound
  size_t max_depth = 128;              // Kubernetes objects are shallow; deep nesting is hostile
};

class Document {
 public:
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  simdjson::dom::element root() const { return root_; }
  // Its object keys, for lookups (not usable() for a document too large to index).
  const KeyIndex& keys() const { return keys_; }

 private:
  friend class Decoder;
  friend bool HasRepeatedKeys(const Document& doc);
  Document() = default;
  simdjson::dom::document doc_;
  simdjson::dom::element root_;
  KeyIndex keys_;
};

using DocumentPtr = std::shared_ptr<const Document>;

// Whether a text may give an object key twice (a request) or is known not to (JSON
// written from YAML, where the last value was already kept).
enum class KeyOrder { kMayRepeat, kUnique };

// Whether some object of the document gives a key twice. A document decoded with
// KeyOrder::kMayRepeat never does: it was decoded again keeping the last entry.
bool HasRepeatedKeys(const Document& doc);

// Decodes JSON text into Documents. An object that gives a key twice keeps its
// last value, as Kubernetes' own decoding does. Holds reusable scratch buffers, so one Decoder
// per thread; the Documents it makes are independent of it and of each other.
class Decoder {
 public:
  explicit Decoder(DecodeLimits limits = {}) : limits_(limits) {}

  Result<DocumentPtr> Decode(std::string_view json_text, KeyOrder keys = KeyOrder::kMayRepeat);
  const DecodeLimits& limits() const { return limits_; }

 private:
  DecodeLimits limits_;
  simdjson::dom::parser parser_;
  bool allocated_ = false;
  // Where documents up to kScratchBytes are parsed before they are copied, at their
  // size, into the Document: simdjson's own buffers are sized for the worst case
  // (ten times the text), and allocating those for every request costs page faults.
  static constexpr size_t kScratchBytes = 256 * 1024;
  simdjson::dom::document scratch_;
};

}  // namespace clausegate::json
