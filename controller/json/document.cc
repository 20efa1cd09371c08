#include "json/document.h"

namespace clausegate::json {

Result<DocumentPtr> Decoder::Decode(std::string_view json_text) {
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
  doc->root_ = root;
  return DocumentPtr(std::move(doc));
}

}  // namespace clausegate::json
