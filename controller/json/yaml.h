#pragma once
// YAML manifests become the same immutable Documents as JSON requests.
//
// A YAML stream (multi-document, `---` separated, as `helm template` prints) is
// cut into documents as it is read, each converted to JSON text as Kubernetes reads
// YAML (yaml_tree.h) and decoded like any JSON input. Each
// document keeps the line and column where it starts, for reports that point into
// the file. A document that cannot be read is an error at its position; the
// documents after it are still read.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/source_position.h"
#include "json/document.h"
#include "json/yaml_scalar.h"

namespace clausegate::json {

struct SourceDocument {
  DocumentPtr doc;
  SourcePosition position;  // of the document's first node
};

struct YamlStream {
  std::vector<SourceDocument> documents;  // every document that could be read; empty ones are skipped
  std::vector<Issue> errors;              // documents that could not be read, each at its position
  std::vector<Issue> warnings;            // read, with a remark (a mapping key given twice)
  bool ok() const { return errors.empty(); }
};

struct YamlOptions {
  // Leave out mapping entries whose value is null (`securityContext:` with nothing
  // after it, `~`): the API server decodes them as unset, so manifests checked in CI
  // look like the objects the webhook receives.
  bool drop_null_fields = false;
};

// A YAML stream cut into its documents while it is read (at "---" lines, where a
// document marker may stand and nothing else can), so that only one document is
// in memory at a time, whatever the size of the stream.
struct YamlChunk {
  uint32_t first_line = 1;  // of the chunk in the stream
  std::string text;         // empty when too large
  uint64_t bytes = 0;       // the chunk's size in the stream
  bool too_large = false;   // over the splitter's bound: its text was not kept
  size_t bound = 0;         // that bound, when too large
};

class YamlDocumentSplitter {
 public:
  YamlDocumentSplitter(std::istream& in, size_t max_chunk_bytes) : in_(in), max_(max_chunk_bytes) {}
  // The next chunk; false at the end of the stream.
  bool Next(YamlChunk* chunk);
  bool read_error() const { return read_error_; }

 private:
  bool Fill();
  void Append(const char* data, size_t n);

  std::istream& in_;
  size_t max_;
  std::vector<char> buf_ = std::vector<char>(64 * 1024);
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false, done_ = false, read_error_ = false;
  uint32_t line_ = 1;
  bool at_line_start_ = true;
  std::string head_;  // the start of the current line, until it is known whether it is a marker
  YamlChunk current_;
};

// Decodes one chunk of a stream: its objects go to out->documents, what could not be
// read to out->errors, remarks (a key given twice) to out->warnings. The decoder's limits bound each
// document's JSON; alias expansion is bounded by 4x the chunk plus 1 MiB.
void DecodeYamlChunk(const YamlChunk& chunk, std::string_view file, Decoder& decoder, const YamlOptions& options,
                     YamlStream* out);

// A whole stream held in memory: every chunk decoded, every problem collected.
YamlStream DecodeYamlStream(std::string_view text, std::string_view file, Decoder& decoder,
                            const YamlOptions& options = {});

// Policies and test suites are read as yaml-cpp nodes, for the positions of their
// fields: documents with their marks, or the first problem. Input that yaml-cpp cannot handle safely (NUL bytes make it loop) is
// refused before it is parsed. `first_line` shifts reported lines (for streams
// split into documents).
struct YamlDocuments {
  std::vector<YAML::Node> nodes;
  std::optional<Issue> error;
};
YamlDocuments LoadYamlDocuments(std::string_view text, std::string_view file, uint32_t first_line = 1);

// "mapping key "k" is given again (earlier at line N)": the cluster keeps the last
// value of a key given twice; manifests are read that way with a warning.
std::string RepeatedKeyMessage(std::string_view key, uint32_t earlier_line);
// Every repetition of a mapping key in `node` and below (at most `limit`), at the
// repeated key: for inputs that must not be ambiguous (policies).
std::vector<Issue> RepeatedKeys(const YAML::Node& node, std::string_view file, size_t limit = 20);

}  // namespace clausegate::json
