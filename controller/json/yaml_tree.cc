#include "json/yaml_tree.h"

#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <unordered_map>

#include "json/yaml_scalar.h"

namespace clausegate::json {
namespace {

enum class Kind : uint8_t { kScalar, kSequence, kMapping, kAlias };

// One node of a document. Texts live in the tree's arena; a collection's children
// (a mapping's as key, value, key, value...) are a run of the tree's `kids`.
struct Node {
  Kind kind = Kind::kScalar;
  bool plain = false;  // a scalar written without quotes
  uint32_t line = 0, column = 0;  // 1-based, within the text
  uint32_t text = 0, text_len = 0;  // scalar: the value; alias: the anchor's name
  uint32_t tag = 0, tag_len = 0;
  uint32_t first = 0, count = 0;  // collection: children in kids; alias: target in first
};

class Tree {
 public:
  void Clear() {
    nodes_.clear();
    kids_.clear();
    arena_.clear();
    anchors_.clear();
  }
  uint32_t Add(Kind kind, const yaml_mark_t& mark) {
    Node n;
    n.kind = kind;
    n.line = static_cast<uint32_t>(mark.line) + 1;
    n.column = static_cast<uint32_t>(mark.column) + 1;
    nodes_.push_back(n);
    return static_cast<uint32_t>(nodes_.size() - 1);
  }
  void SetText(uint32_t id, const char* data, size_t len) {
    nodes_[id].text = static_cast<uint32_t>(arena_.size());
    nodes_[id].text_len = static_cast<uint32_t>(len);
    arena_.append(data, len);
  }
  void SetTag(uint32_t id, const char* tag) {
    if (tag == nullptr) return;
    size_t len = std::strlen(tag);
    nodes_[id].tag = static_cast<uint32_t>(arena_.size());
    nodes_[id].tag_len = static_cast<uint32_t>(len);
    arena_.append(tag, len);
  }
  void Anchor(uint32_t id, const char* anchor) {
    if (anchor != nullptr) anchors_[anchor] = id;  // a later anchor of the same name replaces it
  }
  bool Resolve(const char* anchor, uint32_t* target) const {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) return false;
    *target = it->second;
    return true;
  }
  void SetChildren(uint32_t id, const uint32_t* ids, size_t n) {
    nodes_[id].first = static_cast<uint32_t>(kids_.size());
    nodes_[id].count = static_cast<uint32_t>(n);
    kids_.insert(kids_.end(), ids, ids + n);
  }

  const Node& node(uint32_t id) const { return nodes_[id]; }
  Node& mutable_node(uint32_t id) { return nodes_[id]; }
  uint32_t kid(const Node& n, uint32_t i) const { return kids_[n.first + i]; }
  std::string_view text(const Node& n) const { return std::string_view(arena_).substr(n.text, n.text_len); }
  std::string_view tag(const Node& n) const { return std::string_view(arena_).substr(n.tag, n.tag_len); }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<Node> nodes_;
  std::vector<uint32_t> kids_;
  std::string arena_;
  std::unordered_map<std::string, uint32_t> anchors_;
};

// Writes a document's tree as JSON.
class Writer {
 public:
  // `line_offset`: lines of the stream before the text, for the lines named in remarks.
  Writer(const Tree& tree, const YamlToJsonOptions& options, size_t* budget, uint32_t line_offset)
      : tree_(tree), options_(options), budget_(budget), line_offset_(line_offset), active_(tree.size(), 0) {}

  bool Write(uint32_t root, std::string* out) {
    out_ = out;
    return Emit(root, 1);
  }
  const std::string& error() const { return error_; }
  SourcePosition error_position() const { return error_position_; }
  struct Remark {
    SourcePosition at;
    std::string message;
  };
  std::vector<Remark>& remarks() { return remarks_; }
  size_t remarks_dropped() const { return remarks_dropped_; }

 private:
  static constexpr size_t kMaxRemarks = 20;

  bool Fail(const Node& at, std::string message) {
    error_ = std::move(message);
    error_position_ = {at.line, at.column};
    return false;
  }
  bool Spend(const Node& at, size_t units) {
    if (*budget_ < units) return Fail(at, "document too large after alias expansion");
    *budget_ -= units;
    return true;
  }

  // The node an alias names (aliases cannot name aliases).
  uint32_t Target(uint32_t id) const {
    const Node& n = tree_.node(id);
    return n.kind == Kind::kAlias ? n.first : id;
  }

  ScalarValue Scalar(const Node& n) const { return ResolveYamlScalar(tree_.text(n), tree_.tag(n), n.plain && n.tag_len == 0); }

  bool IsNull(uint32_t id) const {
    const Node& n = tree_.node(Target(id));
    if (n.kind != Kind::kScalar) return false;
    if (n.tag_len == 0 && !n.plain) return false;
    if (n.tag_len == 0 && n.text_len > 4) return false;  // the null spellings are short
    return Scalar(n).type == ScalarType::kNull;
  }

  bool IsMergeKey(const Node& key) const {
    if (key.kind != Kind::kScalar || tree_.text(key) != "<<") return false;
    return (key.plain && key.tag_len == 0) || tree_.tag(key) == "tag:yaml.org,2002:merge";
  }

  // The JSON object key of a mapping key node: a view of its text, or of the string
  // it resolves to (kept until the document is written).
  bool KeyView(uint32_t id, std::string_view* key) {
    uint32_t t = Target(id);
    const Node& n = tree_.node(t);
    if (n.kind != Kind::kScalar) return Fail(tree_.node(id), "mapping keys must be scalars");
    std::string_view text = tree_.text(n);
    if (n.tag_len == 0 && (!n.plain || IsPlainString(text))) {
      *key = text;
      return true;
    }
    std::string why;
    std::string& owned = owned_keys_.emplace_back();
    if (!YamlKeyString(Scalar(n), text, &owned, &why)) return Fail(tree_.node(id), why);
    *key = owned;
    return true;
  }

  // A mapping's entries in order, each key once with its last value, merges applied.
  struct Entry {
    std::string key;
    uint32_t value;
    uint32_t own_line;  // the line of the key when the mapping itself gives it, else 0
  };
  struct Entries {
    std::deque<Entry> list;  // stable: the index views its keys
    std::unordered_map<std::string_view, size_t> index;
  };

  void Set(Entries* e, std::string key, uint32_t value, uint32_t own_line, const Node& key_node) {
    auto it = e->index.find(key);
    if (it == e->index.end()) {
      e->list.push_back({std::move(key), value, own_line});
      e->index.emplace(e->list.back().key, e->list.size() - 1);
      return;
    }
    Entry& old = e->list[it->second];
    if (own_line != 0 && old.own_line != 0) {
      Note(key_node, "mapping key \"" + old.key + "\" is given again (earlier at line " + std::to_string(old.own_line + line_offset_) +
                           "); the last value is used, as in the cluster");
    }
    old.value = value;
    old.own_line = own_line;
  }

  void Note(const Node& at, std::string message) {
    if (remarks_.size() < kMaxRemarks) {
      remarks_.push_back({{at.line, at.column}, std::move(message)});
    } else {
      ++remarks_dropped_;
    }
  }

  // Applies a mapping's entries to `e` in order (go-yaml decodes a merged mapping into
  // the same map, so whatever comes later wins).
  bool Apply(uint32_t id, Entries* e, bool own, size_t depth) {
    uint32_t t = Target(id);
    const Node& m = tree_.node(t);
    if (depth > options_.max_depth) return Fail(m, "nesting too deep (limit " + std::to_string(options_.max_depth) + ")");
    // A mapping being written is marked by the alias that led to it; only a merge back
    // into a mapping still being merged is a cycle.
    uint8_t was = active_[t];
    if (was && !own) return Fail(tree_.node(id), "anchor \"" + std::string(tree_.text(tree_.node(id))) + "\" value contains itself");
    active_[t] = 1;
    bool ok = Spend(m, m.count + 1);
    for (uint32_t i = 0; ok && i + 1 < m.count; i += 2) {
      const Node& key = tree_.node(tree_.kid(m, i));
      uint32_t value = tree_.kid(m, i + 1);
      if (IsMergeKey(key)) {
        ok = Merge(value, e, depth + 1);
        continue;
      }
      std::string_view k;
      if (!(ok = KeyView(tree_.kid(m, i), &k))) break;
      Set(e, std::string(k), value, own ? key.line : 0, key);
    }
    active_[t] = was;
    return ok;
  }

  bool Merge(uint32_t value, Entries* e, size_t depth) {
    const Node& v = tree_.node(Target(value));
    static const char* kWant = "map merge requires map or sequence of maps as the value";
    if (v.kind == Kind::kMapping) return Apply(value, e, false, depth);
    if (v.kind != Kind::kSequence) return Fail(v, kWant);
    // Earlier mappings of the list take precedence: apply them last.
    for (uint32_t i = v.count; i-- > 0;) {
      uint32_t item = tree_.kid(v, i);
      if (tree_.node(Target(item)).kind != Kind::kMapping) return Fail(tree_.node(item), kWant);
      if (!Apply(item, e, false, depth)) return false;
    }
    return true;
  }

  // The simple mapping: no merge key and no key given twice, written in one pass. Its
  // keys are left at the end of keys_, from `base` on.
  bool Simple(const Node& m, size_t base) {
    for (uint32_t i = 0; i + 1 < m.count; i += 2) {
      const Node& key = tree_.node(tree_.kid(m, i));
      if (IsMergeKey(key)) return false;
      std::string_view k;
      if (!KeyView(tree_.kid(m, i), &k)) return false;
      for (size_t j = base; j < keys_.size(); ++j) {
        if (keys_[j] == k) return false;
      }
      keys_.push_back(k);
      if (keys_.size() - base > 32) return false;  // large mappings go the indexed way
    }
    return true;
  }

  void Key(std::string_view key) {
    AppendJsonQuoted(key, out_);
    out_->push_back(':');
  }

  bool Emit(uint32_t id, size_t depth) {
    const Node& n = tree_.node(id);
    if (n.kind == Kind::kAlias) {
      uint32_t t = n.first;
      if (active_[t]) return Fail(n, "anchor \"" + std::string(tree_.text(n)) + "\" value contains itself");
      active_[t] = 1;
      bool ok = Emit(t, depth);
      active_[t] = 0;
      return ok;
    }
    if (depth > options_.max_depth) return Fail(n, "nesting too deep (limit " + std::to_string(options_.max_depth) + ")");
    switch (n.kind) {
      case Kind::kScalar: {
        ScalarValue v = Scalar(n);
        if (v.type == ScalarType::kError) return Fail(n, v.text);
        size_t before = out_->size();
        if (v.type == ScalarType::kString) {
          AppendJsonQuoted(v.own_text ? std::string_view(v.text) : tree_.text(n), out_);
        } else {
          *out_ += v.text;
        }
        return Spend(n, out_->size() - before);
      }
      case Kind::kSequence: {
        out_->push_back('[');
        for (uint32_t i = 0; i < n.count; ++i) {
          if (i > 0) out_->push_back(',');
          if (!Emit(tree_.kid(n, i), depth + 1)) return false;
        }
        out_->push_back(']');
        return Spend(n, 2 + n.count);
      }
      case Kind::kMapping: {
        if (!Spend(n, 2 + n.count)) return false;
        size_t base = keys_.size();
        bool simple = Simple(n, base);
        if (!error_.empty()) return false;
        out_->push_back('{');
        bool first = true;
        if (simple) {
          for (uint32_t i = 0; i + 1 < n.count; i += 2) {
            uint32_t value = tree_.kid(n, i + 1);
            if (options_.drop_null_fields && IsNull(value)) continue;
            if (!first) out_->push_back(',');
            first = false;
            Key(keys_[base + i / 2]);
            if (!Emit(value, depth + 1)) return false;
          }
          keys_.resize(base);
        } else {
          keys_.resize(base);
          Entries e;
          if (!Apply(id, &e, true, depth)) return false;
          for (const Entry& entry : e.list) {
            if (options_.drop_null_fields && IsNull(entry.value)) continue;
            if (!first) out_->push_back(',');
            first = false;
            Key(entry.key);
            if (!Emit(entry.value, depth + 1)) return false;
          }
        }
        out_->push_back('}');
        return true;
      }
      case Kind::kAlias: break;
    }
    return true;
  }

  const Tree& tree_;
  const YamlToJsonOptions& options_;
  size_t* budget_;
  uint32_t line_offset_;
  std::vector<uint8_t> active_;  // nodes being written or merged: an alias back into one is a cycle
  std::vector<std::string_view> keys_;  // keys of the simple mappings being written, outermost first
  std::deque<std::string> owned_keys_;  // keys that are not their own text (stable: keys_ views them)
  std::string* out_ = nullptr;
  std::string error_;
  SourcePosition error_position_;
  std::vector<Remark> remarks_;
  size_t remarks_dropped_ = 0;
};

// libyaml's parser, released on every path.
class Parser {
 public:
  Parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
  }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_;
  bool ok_ = false;
};

class Event {
 public:
  ~Event() {
    if (live) yaml_event_delete(&event);
  }
  void Reset() {
    if (live) yaml_event_delete(&event);
    live = false;
  }
  yaml_event_t event;
  bool live = false;
};

// libyaml's words for a syntax error, with where the construct began.
std::string SyntaxMessage(const yaml_parser_t& p) {
  std::string m = p.problem != nullptr ? p.problem : "cannot read YAML";
  if (p.context != nullptr) {
    m += " (";
    m += p.context;
    m += " at line " + std::to_string(p.context_mark.line + 1) + ")";
  }
  return m;
}

// The parser's error as an Issue: the reader (encoding, control characters) names a
// byte offset, the scanner and parser a mark.
Issue SyntaxIssue(const yaml_parser_t& p, std::string_view text, std::string_view file, uint32_t first_line) {
  SourcePosition pos = p.error == YAML_READER_ERROR
                           ? PositionAt(text, std::min(text.size(), static_cast<size_t>(p.problem_offset)))
                           : SourcePosition{static_cast<uint32_t>(p.problem_mark.line) + 1,
                                            static_cast<uint32_t>(p.problem_mark.column) + 1};
  pos.line += first_line - 1;
  return Issue{std::string(file), pos, SyntaxMessage(p)};
}

}  // namespace

std::optional<Issue> FirstYamlSyntaxError(std::string_view text, std::string_view file, uint32_t first_line) {
  Parser parser(text);
  if (!parser.ok()) return Issue{std::string(file), {first_line, 1}, "cannot start the YAML parser"};
  Event ev;
  for (;;) {
    ev.Reset();
    if (!yaml_parser_parse(parser.get(), &ev.event)) return SyntaxIssue(*parser.get(), text, file, first_line);
    ev.live = true;
    if (ev.event.type == YAML_STREAM_END_EVENT) return std::nullopt;
  }
}

void YamlToJson(std::string_view text, std::string_view file, uint32_t first_line, const YamlToJsonOptions& options,
                const YamlJsonSink& on_document, std::vector<Issue>* errors, std::vector<Issue>* warnings) {
  auto at = [&](SourcePosition p) {
    p.line += first_line - 1;
    return p;
  };
  Parser parser(text);
  if (!parser.ok()) {
    errors->push_back({std::string(file), {first_line, 1}, "cannot start the YAML parser"});
    return;
  }
  size_t budget = options.max_output;
  Tree tree;
  struct Open {
    uint32_t id;
    size_t kids_from;  // where its children start in `pending`
  };
  std::vector<Open> open;
  std::vector<uint32_t> pending;  // children of the open collections, innermost last
  uint32_t root = 0;  // the document's first node, when has_root
  bool has_root = false;
  std::optional<Issue> document_error;  // the first problem of the current document
  std::string json;
  Event ev;
  auto attach = [&](uint32_t id) {
    if (open.empty()) {
      root = id;
      has_root = true;
    } else {
      pending.push_back(id);
    }
  };
  for (;;) {
    ev.Reset();
    if (!yaml_parser_parse(parser.get(), &ev.event)) {
      errors->push_back(SyntaxIssue(*parser.get(), text, file, first_line));
      return;
    }
    ev.live = true;
    const yaml_event_t& e = ev.event;
    switch (e.type) {
      case YAML_STREAM_END_EVENT: return;
      case YAML_DOCUMENT_START_EVENT:
        tree.Clear();
        open.clear();
        pending.clear();
        has_root = false;
        document_error.reset();
        break;
      case YAML_SCALAR_EVENT: {
        uint32_t id = tree.Add(Kind::kScalar, e.start_mark);
        tree.SetText(id, reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        tree.SetTag(id, reinterpret_cast<const char*>(e.data.scalar.tag));
        // A plain scalar without a tag is typed; "!" (non-specific) keeps it a string.
        tree.Anchor(id, reinterpret_cast<const char*>(e.data.scalar.anchor));
        tree.mutable_node(id).plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        attach(id);
        break;
      }
      case YAML_ALIAS_EVENT: {
        uint32_t id = tree.Add(Kind::kAlias, e.start_mark);
        const char* name = reinterpret_cast<const char*>(e.data.alias.anchor);
        tree.SetText(id, name, std::strlen(name));
        uint32_t target = 0;
        if (!tree.Resolve(name, &target)) {
          if (!document_error) {
            document_error = Issue{std::string(file), at({tree.node(id).line, tree.node(id).column}),
                                   "unknown anchor \"" + std::string(name) + "\" referenced"};
          }
        } else {
          tree.mutable_node(id).first = target;
        }
        attach(id);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        uint32_t id = tree.Add(seq ? Kind::kSequence : Kind::kMapping, e.start_mark);
        tree.Anchor(id, reinterpret_cast<const char*>(seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor));
        attach(id);
        open.push_back({id, pending.size()});
        if (open.size() > options.max_depth + 1 && !document_error) {
          document_error = Issue{std::string(file), at({tree.node(id).line, tree.node(id).column}),
                                 "nesting too deep (limit " + std::to_string(options.max_depth) + ")"};
        }
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Open o = open.back();
        open.pop_back();
        tree.SetChildren(o.id, pending.data() + o.kids_from, pending.size() - o.kids_from);
        pending.resize(o.kids_from);
        break;
      }
      case YAML_DOCUMENT_END_EVENT: {
        if (document_error) {
          errors->push_back(std::move(*document_error));
          break;
        }
        if (!has_root) break;
        const Node& r = tree.node(root);
        bool null_root = r.kind == Kind::kScalar && r.plain && r.tag_len == 0 &&
                         ResolveYamlScalar(tree.text(r), {}, true).type == ScalarType::kNull;
        if (null_root) break;  // an empty document, skipped as kubectl does
        Writer writer(tree, options, &budget, first_line - 1);
        json.clear();
        bool ok = writer.Write(root, &json);
        for (auto& remark : writer.remarks()) warnings->push_back({std::string(file), at(remark.at), std::move(remark.message)});
        if (writer.remarks_dropped() > 0) {
          warnings->push_back({std::string(file), at({r.line, r.column}),
                               std::to_string(writer.remarks_dropped()) + " more remarks on this document"});
        }
        if (!ok) {
          errors->push_back({std::string(file), at(writer.error_position()), writer.error()});
          break;
        }
        on_document(json, at({r.line, r.column}));
        break;
      }
      default: break;
    }
  }
}

}  // namespace clausegate::json
