#include "json/yaml.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>


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

class Converter {
 public:
  Converter(size_t max_depth, size_t max_output, bool drop_null_fields)
      : max_depth_(max_depth), max_output_(max_output), drop_null_fields_(drop_null_fields) {}

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
        out_ += '{';
        bool first = true;
        std::set<std::string> seen;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) return Fail(kv.first, "mapping keys must be scalars");
          const std::string& key = kv.first.Scalar();
          if (!seen.insert(key).second) return Fail(kv.first, "mapping key \"" + key + "\" already defined");
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

  std::string& out() { return out_; }
  const std::string& error() const { return error_; }
  SourcePosition error_position() const { return error_position_; }

 private:
  bool Fail(const YAML::Node& at, std::string message) {
    error_ = std::move(message);
    YAML::Mark m = at.Mark();
    error_position_ = {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
    return false;
  }

  size_t max_depth_;
  size_t max_output_;
  bool drop_null_fields_;
  std::string out_;
  std::string error_;
  SourcePosition error_position_;
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

// Splits a stream at its document markers ("---" at the start of a line), so
// that each document is parsed and released on its own: memory stays bounded by
// the largest document, not the whole stream. Returns (first line, text) pairs.
std::vector<std::pair<uint32_t, std::string_view>> SplitDocuments(std::string_view text) {
  std::vector<std::pair<uint32_t, std::string_view>> out;
  size_t start = 0;
  uint32_t line = 1, start_line = 1;
  for (size_t i = 0; i <= text.size();) {
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view l = text.substr(i, eol - i);
    bool marker = l.starts_with("---") && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker && i > start) {
      out.emplace_back(start_line, text.substr(start, i - start));
      start = i;
      start_line = line;
    }
    if (eol == text.size()) break;
    i = eol + 1;
    ++line;
  }
  out.emplace_back(start_line, text.substr(start));
  return out;
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

YamlStream DecodeYamlStream(std::string_view text, std::string_view file, Decoder& decoder,
                            const DecodeLimits& limits, const YamlOptions& options) {
  YamlStream result;
  auto fail = [&](SourcePosition pos, std::string message) {
    result.documents.clear();
    result.error = Issue{std::string(file), pos, std::move(message)};
    return result;
  };
  size_t budget = text.size() * 4 + (1 << 20);
  for (auto [first_line, chunk] : SplitDocuments(text)) {
    uint32_t offset = first_line - 1;
    YamlDocuments loaded = LoadYamlDocuments(chunk, file, first_line);
    if (loaded.error) return fail(loaded.error->position, loaded.error->message);
    for (const YAML::Node& node : loaded.nodes) {
      if (!node.IsDefined() || node.IsNull()) continue;
      Converter conv(limits.max_depth, budget, options.drop_null_fields);
      bool ok;
      try {
        ok = conv.Emit(node, 1);
      } catch (const std::exception& e) {
        return fail({first_line, 1}, std::string("cannot convert YAML: ") + e.what());
      }
      if (!ok) {
        SourcePosition p = conv.error_position();
        p.line += offset;
        return fail(p, conv.error());
      }
      budget -= std::min(budget, conv.out().size());
      auto doc = decoder.Decode(conv.out());
      YAML::Mark m = node.Mark();
      SourcePosition pos{static_cast<uint32_t>(m.line + 1) + offset, static_cast<uint32_t>(m.column + 1)};
      if (!doc.ok()) return fail(pos, doc.status().message());
      result.documents.push_back(SourceDocument{std::move(*doc), pos});
    }
  }
  return result;
}

}  // namespace clausegate::json
