#include "json/yaml.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <set>
#include <sstream>
#include <unordered_map>


namespace clausegate::json {
namespace {

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> IntegerJson(std::string_view s) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.starts_with("0x") || body.starts_with("0X")) {
    base = 16;
    body.remove_prefix(2);
  } else if (body.starts_with("0o")) {
    base = 8;
    body.remove_prefix(2);
  } else if (body.size() > 1 && body[0] == '0') {
    base = 8;  // YAML 1.1 octal, as Kubernetes' YAML reader treats it
  }
  if (!AllDigits(body, base)) return std::nullopt;
  errno = 0;
  std::string digits(body);
  unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  if (neg) {
    if (v > 9223372036854775808ULL) return std::nullopt;
    return v == 0 ? "0" : "-" + std::to_string(v);
  }
  return std::to_string(v);
}

std::optional<std::string> FloatJson(std::string_view s) {
  static const std::set<std::string_view> kInf = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static const std::set<std::string_view> kNegInf = {"-.inf", "-.Inf", "-.INF"};
  static const std::set<std::string_view> kNaN = {".nan", ".NaN", ".NAN"};
  // JSON has no infinities or NaN: keep them as strings, which is what a Kubernetes
  // object could hold there anyway.
  if (kInf.count(s) || kNegInf.count(s) || kNaN.count(s)) return std::nullopt;
  bool digit = false, dot_or_exp = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' || c == 'e' || c == 'E') {
      dot_or_exp = true;
    } else if ((c == '-' || c == '+') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E')) {
    } else {
      return std::nullopt;
    }
  }
  if (!digit || !dot_or_exp) return std::nullopt;
  std::string t(s);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (*end != '\0' || !std::isfinite(d)) return std::nullopt;
  std::ostringstream out;
  out.precision(17);
  out << d;
  std::string r = out.str();
  if (r.find_first_of(".eE") == std::string::npos) r += ".0";  // stays a float
  return r;
}

// The plain scalars YAML reads as null.
bool IsNullSpelling(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// A node that becomes JSON null: empty, ~, null (plain, not quoted), or tagged !!null.
bool IsNullNode(const YAML::Node& node) {
  if (node.Type() == YAML::NodeType::Null || node.Type() == YAML::NodeType::Undefined) return true;
  if (node.Type() != YAML::NodeType::Scalar) return false;
  const std::string& tag = node.Tag();
  bool plain = tag == "?" || tag.empty() || tag == "tag:yaml.org,2002:null";
  return plain && IsNullSpelling(node.Scalar());
}

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

class Converter {
 public:
  // `line_offset`: lines of the stream before the text this node was parsed from.
  Converter(size_t max_depth, size_t max_output, bool drop_null_fields, uint32_t line_offset)
      : max_depth_(max_depth), max_output_(max_output), drop_null_fields_(drop_null_fields), line_offset_(line_offset) {}

  // Appends the JSON of `node`; false with error_ set on a problem.
  bool Emit(const YAML::Node& node, size_t depth) {
    if (depth > max_depth_) return Fail(node, "nesting too deep (limit " + std::to_string(max_depth_) + ")");
    if (out_.size() > max_output_) return Fail(node, "document too large after alias expansion");
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out_ += "null";
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        const std::string& v = node.Scalar();
        if (tag == "!" || tag == "tag:yaml.org,2002:str") {
          out_ += JsonQuote(v);
        } else if (tag == "?" || tag.empty()) {
          out_ += PlainScalarToJson(v);
        } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                   tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
          out_ += PlainScalarToJson(v);
        } else {
          out_ += JsonQuote(v);  // unknown tags keep their text
        }
        return true;
      }
      case YAML::NodeType::Sequence: {
        out_ += '[';
        bool first = true;
        for (const auto& item : node) {
          if (!first) out_ += ',';
          first = false;
          if (!Emit(item, depth + 1)) return false;
        }
        out_ += ']';
        return true;
      }
      case YAML::NodeType::Map: {
        // A key given twice keeps its last value, as the cluster's decoding does; each
        // repetition is a warning naming both lines.
        KeyIndex keys = IndexKeys(node, [&](const YAML::Node& key, const YAML::Mark& before) {
          Warn(key, RepeatedKeyMessage(key.Scalar(), before.line + 1 + line_offset_) +
                        "; the last value is used, as in the cluster");
        });
        if (keys.non_scalar) return Fail(*keys.non_scalar, "mapping keys must be scalars");
        const auto& last = keys.last;
        out_ += '{';
        bool first = true;
        size_t i = 0;
        for (const auto& kv : node) {
          const std::string& key = kv.first.Scalar();
          if (last.find(key)->second.first != i++) continue;  // a later entry wins
          if (drop_null_fields_ && IsNullNode(kv.second)) continue;
          if (!first) out_ += ',';
          first = false;
          out_ += JsonQuote(key);
          out_ += ':';
          if (!Emit(kv.second, depth + 1)) return false;
        }
        out_ += '}';
        return true;
      }
    }
    return true;
  }

  // Remarks on a document that was read (positions within the chunk); bounded.
  static constexpr size_t kMaxWarnings = 20;
  const std::vector<std::pair<SourcePosition, std::string>>& warnings() const { return warnings_; }
  size_t warnings_dropped() const { return warnings_dropped_; }

  std::string& out() { return out_; }
  const std::string& error() const { return error_; }
  SourcePosition error_position() const { return error_position_; }

 private:
  static SourcePosition At(const YAML::Node& node) {
    YAML::Mark m = node.Mark();
    return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
  }
  bool Fail(const YAML::Node& at, std::string message) {
    error_ = std::move(message);
    error_position_ = At(at);
    return false;
  }
  void Warn(const YAML::Node& at, std::string message) {
    if (warnings_.size() < kMaxWarnings) {
      warnings_.emplace_back(At(at), std::move(message));
    } else {
      ++warnings_dropped_;
    }
  }

  size_t max_depth_;
  size_t max_output_;
  bool drop_null_fields_;
  uint32_t line_offset_;
  std::string out_;
  std::string error_;
  SourcePosition error_position_;
  std::vector<std::pair<SourcePosition, std::string>> warnings_;
  size_t warnings_dropped_ = 0;
};

}  // namespace

std::string PlainScalarToJson(std::string_view s) {
  if (IsNullSpelling(s)) return "null";
  static const std::set<std::string_view> kTrue = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static const std::set<std::string_view> kFalse = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  if (kTrue.count(s)) return "true";
  if (kFalse.count(s)) return "false";
  if (auto i = IntegerJson(s)) return *i;
  if (auto f = FloatJson(s)) return *f;
  return JsonQuote(s);
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}


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
  uint32_t offset = chunk.first_line - 1;
  auto issue = [&](SourcePosition p, std::string message) {
    if (p.line == 0) p = {chunk.first_line, 1};
    return Issue{std::string(file), p, std::move(message)};
  };
  if (chunk.too_large) {
    out->errors.push_back(issue({}, "document of " + std::to_string(chunk.bytes) + " bytes is over the " +
                                        std::to_string(chunk.bound) + "-byte bound for one YAML document; it was not read"));
    return;
  }
  YamlDocuments loaded = LoadYamlDocuments(chunk.text, file, chunk.first_line);
  if (loaded.error) {
    out->errors.push_back(std::move(*loaded.error));
    return;
  }
  size_t budget = chunk.text.size() * 4 + (1 << 20);
  const DecodeLimits& limits = decoder.limits();
  for (const YAML::Node& node : loaded.nodes) {
    if (!node.IsDefined() || node.IsNull()) continue;
    YAML::Mark m = node.Mark();
    SourcePosition pos{static_cast<uint32_t>(m.line + 1) + offset, static_cast<uint32_t>(m.column + 1)};
    Converter conv(limits.max_depth, budget, options.drop_null_fields, offset);
    bool ok;
    try {
      ok = conv.Emit(node, 1);
    } catch (const std::exception& e) {
      out->errors.push_back(issue(pos, std::string("cannot convert YAML: ") + e.what()));
      continue;
    }
    for (const auto& [at, message] : conv.warnings()) {
      out->warnings.push_back(issue({at.line + offset, at.column}, message));
    }
    if (conv.warnings_dropped() > 0) {
      out->warnings.push_back(issue(pos, std::to_string(conv.warnings_dropped()) + " more remarks on this document"));
    }
    if (!ok) {
      SourcePosition p = conv.error_position();
      p.line += offset;
      out->errors.push_back(issue(p, conv.error()));
      continue;
    }
    budget -= std::min(budget, conv.out().size());
    if (conv.out().size() > limits.max_bytes) {
      out->errors.push_back(issue(pos, "document of " + std::to_string(conv.out().size()) + " bytes as JSON is over the " +
                                           std::to_string(limits.max_bytes) + "-byte bound for one document"));
      continue;
    }
    auto doc = decoder.Decode(conv.out());
    if (!doc.ok()) {
      out->errors.push_back(issue(pos, doc.status().message()));
      continue;
    }
    out->documents.push_back(SourceDocument{std::move(*doc), pos});
  }
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
