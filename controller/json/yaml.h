#pragma once
// YAML manifests become the same immutable Documents as JSON requests.
//
// A YAML stream (multi-document, `---` separated, as `helm template` prints) is
// parsed with yaml-cpp, converted to JSON text with Kubernetes' scalar typing,
// and decoded like any JSON input. Each document keeps the line and column where
// it starts, for reports that point into the file.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/source_position.h"
#include "json/document.h"

namespace clausegate::json {

struct SourceDocument {
  DocumentPtr doc;
  SourcePosition position;  // of the document's first node
};

struct YamlStream {
  std::vector<SourceDocument> documents;  // empty documents are skipped
  std::optional<Issue> error;             // the first problem; documents is then empty
};

struct YamlOptions {
  // Leave out mapping entries whose value is null (`securityContext:` with nothing
  // after it, `~`): the API server decodes them as unset, so manifests checked in CI
  // look like the objects the webhook receives.
  bool drop_null_fields = false;
};

// `file` names the input in error messages. Limits: the decoder's size and depth
// bounds apply to each document, and the JSON produced from the whole stream may
// not exceed 4x the input plus 1 MiB (alias expansion is bounded).
YamlStream DecodeYamlStream(std::string_view text, std::string_view file, Decoder& decoder,
                            const DecodeLimits& limits = {}, const YamlOptions& options = {});

// The one place yaml-cpp parses text: documents with their marks, or the first
// problem. Input that yaml-cpp cannot handle safely (NUL bytes make it loop) is
// refused before it is parsed. `first_line` shifts reported lines (for streams
// split into documents).
struct YamlDocuments {
  std::vector<YAML::Node> nodes;
  std::optional<Issue> error;
};
YamlDocuments LoadYamlDocuments(std::string_view text, std::string_view file, uint32_t first_line = 1);

// Converts one YAML scalar written without quotes to JSON text with the typing
// Kubernetes applies: null, booleans (true/false and the YAML 1.1 yes/no/on/off
// family), integers (decimal, 0x hex, 0o and leading-zero octal), floats (with
// .inf and .nan), else a string.
std::string PlainScalarToJson(std::string_view scalar);

// JSON string literal for arbitrary text (quotes, escapes; invalid UTF-8 replaced).
std::string JsonQuote(std::string_view text);

}  // namespace clausegate::json
