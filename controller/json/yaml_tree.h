#pragma once
// YAML text to JSON text, the way Kubernetes reads it (sigs.k8s.io/yaml over go-yaml v2).
//
// libyaml's event parser builds a compact tree of each document (anchors resolved to
// the nodes they name); the tree is then written as JSON with go-yaml's rules: scalars
// typed by yaml_scalar.h, merge keys (`<<: *base`, `<<: [*a, *b]`, `<<: {...}`) applied
// in order so that an entry after another overrides it, a key given twice keeping its
// last value, non-string keys turned into strings. Aliases are expanded within a budget.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/source_position.h"
#include "common/status.h"

namespace clausegate::json {

struct YamlToJsonOptions {
  size_t max_depth = 128;
  size_t max_output = 64 << 20;  // bytes of JSON after alias expansion, for the whole text
  bool drop_null_fields = false;  // leave out mapping entries whose value is null
};

// Every document of `text` (one chunk of a stream, starting at `first_line`): non-empty
// documents go to `on_document` with the position of their first node; a document
// that cannot be read is an error at its position (a syntax error ends the text, a
// conversion error only its document); remarks (a key given twice) are warnings.
using YamlJsonSink = std::function<void(std::string& json, SourcePosition position)>;
void YamlToJson(std::string_view text, std::string_view file, uint32_t first_line, const YamlToJsonOptions& options,
                const YamlJsonSink& on_document, std::vector<Issue>* errors, std::vector<Issue>* warnings);

// The first syntax error libyaml finds in `text` (nullopt when it reads as YAML), in
// one pass over its events and nothing kept: the check a text passes before a
// reader that cannot be trusted with invalid YAML sees it.
std::optional<Issue> FirstYamlSyntaxError(std::string_view text, std::string_view file, uint32_t first_line);

}  // namespace clausegate::json
