#pragma once
// CEL runtime values.
//
// A Value is small and cheap to copy. Scalars live inline; strings, lists and maps
// either point into an immutable JSON document (no copy of the input, ever) or
// own shared immutable storage. A Value that views a document or a program's
// constants is valid only while those are alive; callers keep them alive for the
// duration of an evaluation and convert results they keep.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "common/time_util.h"
#include "json/document.h"

namespace clausegate::cel {

enum class Kind : uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kType,
  kTimestamp,
  kDuration,
  kOptional,
  kOpaque,  // extension types: quantity, url, ip, cidr, ...
  kError,
};

class Value;

// Extension values (Kubernetes quantity, URL, IP, CIDR). Immutable.
class OpaqueValue {
 public:
  virtual ~OpaqueValue() = default;
  virtual std::string_view TypeName() const = 0;
  virtual bool Equals(const OpaqueValue& other) const = 0;
  virtual std::string ToString() const = 0;
  // The size CEL sees (size-aware types, as Go's traits.Sizer), if it has one:
  // the cost of calls is measured with it.
  virtual std::optional<uint64_t> Size() const { return std::nullopt; }
};

class Value {
 public:
  Value() : kind_(Kind::kNull) {}

  static Value Null() { return Value(); }
  static Value Bool(bool b) { Value v(Kind::kBool); v.u_.b = b; return v; }
  static Value Int(int64_t i) { Value v(Kind::kInt); v.u_.i = i; return v; }
  static Value Uint(uint64_t u) { Value v(Kind::kUint); v.u_.u = u; return v; }
  static Value Double(double d) { Value v(Kind::kDouble); v.u_.d = d; return v; }
  static Value String(std::string s);
  // Borrowed text: the caller guarantees it outlives every use of the Value.
  static Value StringView(std::string_view s);
  static Value Bytes(std::string s);
  // `a` then `b`, as a string or bytes (`kind`), in one allocation.
  static Value Joined(std::string_view a, std::string_view b, Kind kind = Kind::kString);
  static Value BytesView(std::string_view s);
  static Value List(std::vector<Value> items);
  // Builds a map; duplicate or unsupported keys give an error Value.
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  // An element of a document read in place; with the document's key index, its
  // objects' fields are found by hash (so are those of the values read from it).
  static Value Json(simdjson::dom::element e, const json::KeyIndex* keys = nullptr);
  static Value Json(const json::Document& doc) { return Json(doc.root(), &doc.keys()); }
  // The JSON element a value made by Json() reads in place; nullopt for any other.
  std::optional<simdjson::dom::element> json_element() const {
    return rep_ == Rep::kJson ? std::optional<simdjson::dom::element>(json_) : std::nullopt;
  }
  // `name` must have static storage duration (type names are interned).
  static Value Type(std::string_view name);
  static Value Timestamp(clausegate::Timestamp t) { Value v(Kind::kTimestamp); v.u_.ts = t; return v; }
  static Value Duration(int64_t nanos) { Value v(Kind::kDuration); v.u_.i = nanos; return v; }
  static Value Optional(Value inner);
  static Value OptionalNone();
  static Value Opaque(std::shared_ptr<const OpaqueValue> o);
  static Value Error(std::string message);

  Kind kind() const { return kind_; }
  bool is_error() const { return kind_ == Kind::kError; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_numeric() const { return kind_ == Kind::kInt || kind_ == Kind::kUint || kind_ == Kind::kDouble; }

  bool bool_value() const { return u_.b; }
  int64_t int_value() const { return u_.i; }
  uint64_t uint_value() const { return u_.u; }
  double double_value() const { return u_.d; }
  int64_t duration_value() const { return u_.i; }
  clausegate::Timestamp timestamp_value() const { return u_.ts; }
  // For kString and kBytes.
  std::string_view string_value() const;
  // For kType: the type's name ("int", "list", "google.protobuf.Timestamp", ...).
  std::string_view type_name() const { return string_value(); }
  const std::string& error_message() const;
  // For kOptional.
  bool optional_has_value() const { return opt_ != OptState::kNone; }
  Value optional_value() const;
  const OpaqueValue& opaque() const;
  template <typename T>
  const T* opaque_as() const { return dynamic_cast<const T*>(&opaque()); }

  // Lists.
  size_t list_size() const;
  Value list_at(size_t i) const;  // caller checks bounds
  // Calls f(const Value&) for each element in order; stops early when f returns false.
  template <typename F>
  void ForEachElement(F&& f) const;

  // Maps.
  size_t map_size() const;
  // nullopt: no such key. An unsupported key type is also "no such key".
  std::optional<Value> MapFind(const Value& key) const;
  std::optional<Value> MapFindString(std::string_view key) const { return MapFindKey(json::HashedKey(key)); }
  std::optional<Value> MapFindKey(const json::HashedKey& key) const;
  // For a document object read through its key index (json_indexed()): the value
  // reached by looking up `keys` one after another, the values on the way never
  // built. nullopt when the walk stopped early; `*found` says how many keys were
  // found, `*at_list` whether it stopped at a list (which no name indexes).
  std::optional<Value> IndexedPath(std::span<const json::HashedKey> keys, size_t* found, bool* at_list) const;
  // Where the value of `key` is kept in a map built by an expression (not a
  // document's), without a copy; null for other values and absent keys. Valid while
  // this value lives.
  const Value* BuiltMapValue(std::string_view key) const;
  // For a list or map read from a JSON document: the document and the element's
  // place in it (stable while the document lives); {0, 0} for other values.
  struct JsonId {
    uint64_t doc = 0, index = 0;
    bool operator==(const JsonId&) const = default;
  };
  JsonId json_identity() const;
  // A document object whose fields are found through its document's key index.
  bool json_indexed() const { return rep_ == Rep::kJson && u_.keys != nullptr && u_.keys->usable(); }
  // Calls f(const Value& key, const Value& value) for each entry; stops when f returns false.
  template <typename F>
  void ForEachEntry(F&& f) const;

  // The CEL type of this value as a type Value.
  Value TypeOf() const;

 private:
  enum class Rep : uint8_t { kInline, kHeap, kJson, kView };
  // Optionals of plain values keep the wrapped value's own representation (no
  // allocation on the hot `a.?b.orValue(x)` path); only optional(optional) is boxed.
  enum class OptState : uint8_t { kNotOptional, kNone, kInline, kBoxed };
  struct StringData;
  struct ListData;
  struct MapData;
  struct OptionalData;
  struct ErrorData;

  explicit Value(Kind k) : kind_(k) {}

  const ListData& list_data() const;
  const MapData& map_data() const;
  // MapFindKey's other ways: a document object without an index, a map built by
  // an expression.
  std::optional<Value> IndexedFind(const json::HashedKey& key) const;
  // Makes this the element at tape index `at` of the document `doc` (a JsonId's doc).
  void SetJsonAt(uint64_t doc, uint32_t at, const json::KeyIndex* keys);
  std::optional<Value> JsonScan(std::string_view key) const;
  std::optional<Value> HeapMapFind(std::string_view key) const;
  void SetJson(simdjson::dom::element e, const json::KeyIndex* keys);
  // An element of this value's document, with its key index.
  Value JsonChild(simdjson::dom::element e) const {
    Value v = Json(e);
    if (v.rep_ == Rep::kJson) v.u_.keys = u_.keys;
    return v;
  }

  Kind kind_;
  Rep rep_ = Rep::kInline;
  OptState opt_ = OptState::kNotOptional;
  Kind inner_ = Kind::kNull;  // the wrapped kind when opt_ == kInline
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    clausegate::Timestamp ts;
    struct {
      const char* data;
      size_t size;
    } view;
    const json::KeyIndex* keys;  // kJson: the document's key index, or null
  } u_{};
  simdjson::dom::element json_;
  std::shared_ptr<const void> heap_;
};

// Shared storage types, visible so that the iteration templates can be inline.
struct Value::StringData {
  std::string text;
};
struct Value::ListData {
  std::vector<Value> items;
};
struct Value::MapData {
  std::vector<std::pair<Value, Value>> entries;
  // For larger maps: normalised key -> entry, so lookups and construction stay linear.
  // Looked up by string_view, so that a lookup builds no string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, KeyHash, std::equal_to<>> index;
};
struct Value::OptionalData {
  bool has_value;
  Value value;
};
struct Value::ErrorData {
  std::string message;
};

inline std::string_view Value::string_value() const {
  return std::string_view(u_.view.data, u_.view.size);  // a heap string's view points into its block
}

template <typename F>
void Value::ForEachElement(F&& f) const {
  if (rep_ == Rep::kJson) {
    for (simdjson::dom::element e : simdjson::dom::array(json_)) {
      if (!f(JsonChild(e))) return;
    }
    return;
  }
  if (!heap_) return;  // the empty list
  for (const Value& v : list_data().items) {
    if (!f(v)) return;
  }
}

template <typename F>
void Value::ForEachEntry(F&& f) const {
  if (rep_ == Rep::kJson) {
    for (simdjson::dom::key_value_pair kv : simdjson::dom::object(json_)) {
      if (!f(Value::StringView(kv.key), JsonChild(kv.value))) return;
    }
    return;
  }
  for (const auto& [k, v] : map_data().entries) {
    if (!f(k, v)) return;
  }
}

// Type names (interned).
namespace type_names {
inline constexpr std::string_view kNull = "null_type";
inline constexpr std::string_view kBool = "bool";
inline constexpr std::string_view kInt = "int";
inline constexpr std::string_view kUint = "uint";
inline constexpr std::string_view kDouble = "double";
inline constexpr std::string_view kString = "string";
inline constexpr std::string_view kBytes = "bytes";
inline constexpr std::string_view kList = "list";
inline constexpr std::string_view kMap = "map";
inline constexpr std::string_view kType = "type";
inline constexpr std::string_view kTimestamp = "google.protobuf.Timestamp";
inline constexpr std::string_view kDuration = "google.protobuf.Duration";
inline constexpr std::string_view kOptional = "optional_type";
}  // namespace type_names

// Work whose size grows with the operands (deep equality, printing): each
// element visited spends a unit, and the operation stops early once none are
// left. The evaluator passes what remains of its cost budget.
class WorkBudget {
 public:
  explicit WorkBudget(int64_t units) : left_(units) {}
  bool Spend(int64_t units = 1) {
    if (units > left_) {
      exhausted_ = true;
      left_ = 0;
    } else {
      left_ -= units;
      spent_ += units;
    }
    return !exhausted_;
  }
  bool exhausted() const { return exhausted_; }
  int64_t spent() const { return spent_; }

 private:
  int64_t left_;
  int64_t spent_ = 0;
  bool exhausted_ = false;
};

// Heterogeneous CEL equality. Errors are not handled here (callers propagate
// them). With a budget, an exhausted budget makes the result meaningless: check it.
bool ValuesEqual(const Value& a, const Value& b, WorkBudget* budget = nullptr);

// Ordering for <, <=, >, >=: -1/0/1, or nullopt when the kinds are not comparable
// (or a NaN is involved, for which every comparison is false).
enum class Order { kLess, kEqual, kGreater, kUnordered, kNoOverload };
Order CompareValues(const Value& a, const Value& b);

// Human text of a value as the strings extension's %s prints it. Bytes that are
// not UTF-8 are printed with U+FFFD in their place.
std::string ValueToString(const Value& v, WorkBudget* budget = nullptr);
// A double formatted like cel-go (Go's strconv 'g'-style shortest repr).
std::string FormatDouble(double d);

}  // namespace clausegate::cel
