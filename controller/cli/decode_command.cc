#include "cli/decode_command.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>

#include "cli/args.h"
#include "json/yaml.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate decode [-f FILE]... [--max-document-bytes N]\n"
    "  Prints each YAML or JSON document as the JSON that kubectl and Helm make of it\n"
    "  (YAML 1.1 scalars, merge keys, the last of a repeated key), one line per document:\n"
    "  {\"position\":\"file:line:col\",\"object\":...} or {\"position\":...,\"error\":\"...\"};\n"
    "  remarks (a repeated key) go to stderr. Reads stdin when no file is given or for \"-\".\n";

std::string Position(const Issue& at) {
  std::string s = Issue{at.file, at.position, "x"}.ToString();
  return s.substr(0, s.size() - 3);  // without ": x"
}

// Lines of one chunk, in the order of their positions.
struct Line {
  SourcePosition at;
  std::string text;
};

bool DecodeStream(std::istream& in, const std::string& file, size_t max_document_bytes, json::Decoder& decoder,
                  std::ostream& out, std::ostream& err) {
  bool ok = true;
  json::YamlDocumentSplitter splitter(in, max_document_bytes * 4 + (1 << 20));
  json::YamlChunk chunk;
  while (splitter.Next(&chunk)) {
    json::YamlStream stream;
    json::DecodeYamlChunk(chunk, file, decoder, {}, &stream);
    std::vector<Line> lines;
    for (const auto& d : stream.documents) {
      std::string where = Position({file, d.position, ""});
      lines.push_back({d.position, "{\"position\":" + json::JsonQuote(where) + ",\"object\":" +
                                       simdjson::minify(d.doc->root()) + "}"});
    }
    for (const auto& e : stream.errors) {
      ok = false;
      lines.push_back({e.position, "{\"position\":" + json::JsonQuote(Position(e)) + ",\"error\":" +
                                       json::JsonQuote(e.message) + "}"});
    }
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
      return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
    });
    for (const auto& l : lines) out << l.text << "\n";
    for (const auto& w : stream.warnings) err << w.ToString() << "\n";
  }
  if (splitter.read_error()) {
    err << file << ": read error: " << std::strerror(errno) << "\n";
    ok = false;
  }
  return ok;
}

}  // namespace

int RunDecodeCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  std::string max_text;
  Args parser("decode");
  parser.Values({"-f", "--filename"}, &files).Value({"--max-document-bytes"}, &max_text).Positional(&files, 64);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  size_t max_document_bytes = 3 * 1024 * 1024;
  if (!max_text.empty()) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(max_text.c_str(), &end, 10);
    if (end == max_text.c_str() || *end != '\0' || v == 0) {
      err << "clausegate decode: --max-document-bytes \"" << max_text << "\" is not a positive number\n";
      return 2;
    }
    max_document_bytes = v;
  }
  if (files.empty()) files.push_back("-");
  json::DecodeLimits limits;
  limits.max_bytes = max_document_bytes;
  json::Decoder decoder(limits);
  bool ok = true;
  for (const auto& f : files) {
    if (f == "-") {
      ok &= DecodeStream(in, "(stdin)", max_document_bytes, decoder, out, err);
      continue;
    }
    std::ifstream file(f, std::ios::binary);
    if (!file) {
      err << "clausegate decode: " << f << ": cannot open: " << std::strerror(errno) << "\n";
      ok = false;
      continue;
    }
    ok &= DecodeStream(file, f, max_document_bytes, decoder, out, err);
  }
  return ok ? 0 : 2;
}

}  // namespace clausegate::cli
