#include "json/yaml.h"

#include "json/yaml_tree.h"

#include <cstring>
#include <istream>
#include <unordered_map>


namespace clausegate::json {
namespace {

// The keys of a mapping: for each, its last entry (the one the cluster keeps).
struct KeyIndex {
  std::unordered_map<std::string_view, std::pair<size_t, YAML::Mark>> last;  // key -> (entry, where)
  std::optional<YAML::Node> non_scalar;                                     // a key that is not a scalar
};

// `on_repeat(key, before)` for every entry whose key an earlier entry has, with the
// mark of the entry before it.
template <class OnRepeat>
KeyIndex IndexKeys(const YAML::Node& map, OnRepeat on_repeat) {
  KeyIndex index;
  size_t n = 0;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      index.non_scalar = kv.first;
      return index;
    }
    auto [it, fresh] = index.last.try_emplace(kv.first.Scalar(), n, kv.first.Mark());
    if (!fresh) {
      on_repeat(kv.first, it->second.second);
      it->second = {n, kv.first.Mark()};
    }
    ++n;
  }
  return index;
}

}  // namespace

namespace {

// yaml-cpp 0.7 loops forever on a document whose first token is ',' (a flow
// entry outside any flow collection). Finds such a ',' so that it is refused
// before yaml-cpp sees it: the start of the stream and every line after a
// "---" or "..." marker begin a document.
std::optional<size_t> LeadingFlowEntry(std::string_view text) {
  bool at_document_start = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(i, eol - i);
    size_t content = 0;
    bool marker = line.starts_with("---") || line.starts_with("...");
    if (marker) {
      at_document_start = true;
      content = 3;
    }
    if (at_document_start) {
      while (content < line.size() && (line[content] == ' ' || line[content] == '\t' || line[content] == '\r')) ++content;
      if (content < line.size()) {
        char c = line[content];
        if (c == ',') return i + content;
        if (c != '#' && !(c == '%' && content == 0 && !marker)) at_document_start = false;
      }
    }
    i = eol + 1;
  }
  return std::nullopt;
}

}  // namespace

YamlDocuments LoadYamlDocuments(std::string_view text, std::string_view file, uint32_t first_line) {
  YamlDocuments out;
  if (auto comma = LeadingFlowEntry(text)) {
    SourcePosition pos = PositionAt(text, *comma);
    pos.line += first_line - 1;
    out.error = Issue{std::string(file), pos, "a YAML document cannot start with ','"};
    return out;
  }
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    SourcePosition pos = PositionAt(text, nul);
    pos.line += first_line - 1;
    out.error = Issue{std::string(file), pos, "YAML may not contain NUL bytes"};
    return out;
  }
  // yaml-cpp 0.7 also loops forever on a ',' below the indentation of a document's
  // root (" a: 1\n,b"), and maybe on other invalid streams: it reads only what
  // libyaml (the reader Kubernetes' own is a port of) finds valid.
  if (auto syntax = FirstYamlSyntaxError(text, file, first_line)) {
    out.error = std::move(*syntax);
    return out;
  }
  try {
    out.nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    out.error = Issue{std::string(file),
                      {static_cast<uint32_t>(e.mark.line) + first_line, static_cast<uint32_t>(e.mark.column + 1)}, e.msg};
  } catch (const std::exception& e) {
    out.error = Issue{std::string(file), {first_line, 1}, std::string("cannot read YAML: ") + e.what()};
  }
  return out;
}

std::string RepeatedKeyMessage(std::string_view key, uint32_t earlier_line) {
  return "mapping key \"" + std::string(key) + "\" is given again (earlier at line " + std::to_string(earlier_line) + ")";
}

namespace {

void CollectRepeatedKeys(const YAML::Node& node, std::string_view file, size_t limit, size_t depth,
                         std::vector<Issue>* out) {
  if (out->size() >= limit || depth > 256) return;  // deeper than any policy; bounded recursion
  if (node.IsSequence()) {
    for (const auto& item : node) CollectRepeatedKeys(item, file, limit, depth + 1, out);
  } else if (node.IsMap()) {
    IndexKeys(node, [&](const YAML::Node& key, const YAML::Mark& before) {
      if (out->size() >= limit) return;
      YAML::Mark m = key.Mark();
      out->push_back({std::string(file), {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)},
                      RepeatedKeyMessage(key.Scalar(), static_cast<uint32_t>(before.line + 1))});
    });
    for (const auto& kv : node) CollectRepeatedKeys(kv.second, file, limit, depth + 1, out);
  }
}

}  // namespace

std::vector<Issue> RepeatedKeys(const YAML::Node& node, std::string_view file, size_t limit) {
  std::vector<Issue> out;
  CollectRepeatedKeys(node, file, limit, 0, &out);
  return out;
}

bool YamlDocumentSplitter::Fill() {
  pos_ = end_ = 0;
  if (!in_.good()) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  pos_ = 0;
  end_ = static_cast<size_t>(in_.gcount());
  if (in_.bad()) read_error_ = true;
  return end_ > 0;
}

void YamlDocumentSplitter::Append(const char* data, size_t n) {
  current_.bytes += n;
  if (current_.too_large) return;
  if (current_.text.size() + n > max_) {
    current_.too_large = true;
    current_.bound = max_;
    std::string().swap(current_.text);  // let the memory go; only the size is still counted
    return;
  }
  current_.text.append(data, n);
}

bool YamlDocumentSplitter::Next(YamlChunk* chunk) {
  while (!done_) {
    if (pos_ == end_ && !eof_ && !Fill()) eof_ = true;
    if (at_line_start_) {
      // A marker is "---" alone or followed by a space or tab; four bytes decide it.
      while (head_.size() < 4 && pos_ < end_ && buf_[pos_] != '\n') head_ += buf_[pos_++];
      if (head_.size() < 4 && pos_ == end_ && !eof_) continue;  // the line goes on in the next block
      at_line_start_ = false;
      bool marker = head_.starts_with("---") && (head_.size() == 3 || head_[3] == ' ' || head_[3] == '\t' || head_[3] == '\r');
      if (marker && current_.bytes > 0) {
        *chunk = std::move(current_);
        current_ = YamlChunk{};
        current_.first_line = line_;
        Append(head_.data(), head_.size());
        head_.clear();
        return true;
      }
      Append(head_.data(), head_.size());
      head_.clear();
      continue;
    }
    if (pos_ == end_) {  // the end of the stream
      done_ = true;
      if (current_.bytes == 0) return false;
      *chunk = std::move(current_);
      return true;
    }
    const char* from = buf_.data() + pos_;
    const void* nl = std::memchr(from, '\n', end_ - pos_);
    size_t n = nl ? static_cast<const char*>(nl) - from + 1 : end_ - pos_;
    Append(from, n);
    pos_ += n;
    if (nl) {
      ++line_;
      at_line_start_ = true;
    }
  }
  return false;
}

void DecodeYamlChunk(const YamlChunk& chunk, std::string_view file, Decoder& decoder, const YamlOptions& options,
                     YamlStream* out) {
  if (chunk.too_large) {
    out->errors.push_back({std::string(file), {chunk.first_line, 1},
                           "document of " + std::to_string(chunk.bytes) + " bytes is over the " +
                               std::to_string(chunk.bound) + "-byte bound for one YAML document; it was not read"});
    return;
  }
  const DecodeLimits& limits = decoder.limits();
  YamlToJsonOptions convert;
  convert.max_depth = limits.max_depth;
  convert.max_output = chunk.text.size() * 4 + (1 << 20);
  convert.drop_null_fields = options.drop_null_fields;
  YamlToJson(
      chunk.text, file, chunk.first_line, convert,
      [&](std::string& json, SourcePosition pos) {
        if (json.size() > limits.max_bytes) {
          out->errors.push_back({std::string(file), pos,
                                 "document of " + std::to_string(json.size()) + " bytes as JSON is over the " +
                                     std::to_string(limits.max_bytes) + "-byte bound for one document"});
          return;
        }
        auto doc = decoder.Decode(json, KeyOrder::kUnique);
        if (!doc.ok()) {
          out->errors.push_back({std::string(file), pos, doc.status().message()});
          return;
        }
        out->documents.push_back(SourceDocument{std::move(*doc), pos});
      },
      &out->errors, &out->warnings);
}

namespace {

// An istream over text that is already in memory, without copying it.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());  // read only: the get area is never written
    setg(p, p, p + text.size());
  }
};

}  // namespace

YamlStream DecodeYamlStream(std::string_view text, std::string_view file, Decoder& decoder,
                            const YamlOptions& options) {
  YamlStream result;
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  YamlDocumentSplitter splitter(in, text.size() + 1);  // already in memory: no bound of its own
  YamlChunk chunk;
  while (splitter.Next(&chunk)) DecodeYamlChunk(chunk, file, decoder, options, &result);
  return result;
}

}  // namespace clausegate::json
