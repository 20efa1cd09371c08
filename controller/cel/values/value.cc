#include "cel/values/value.h"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "common/utf8.h"

namespace clausegate::cel {

Value Value::String(std::string s) {
  if (s.empty()) return StringView(std::string_view());  // no storage to share
  Value v(Kind::kString);
  v.rep_ = Rep::kHeap;
  auto data = std::make_shared<const StringData>(StringData{std::move(s)});
  // The text stays where the shared block holds it: every read of the string goes
  // through the view, without asking which storage it has.
  v.u_.view = {data->text.data(), data->text.size()};
  v.heap_ = std::move(data);
  return v;
}

Value Value::Joined(std::string_view a, std::string_view b, Kind kind) {
  size_t n = a.size() + b.size();
  Value v = n == 0 ? StringView(std::string_view()) : Value(Kind::kString);
  v.kind_ = kind;
  if (n == 0) return v;
  // The characters share the block of their count: one allocation for both.
  std::shared_ptr<char[]> text = std::make_shared_for_overwrite<char[]>(n);
  if (!a.empty()) std::memcpy(text.get(), a.data(), a.size());
  if (!b.empty()) std::memcpy(text.get() + a.size(), b.data(), b.size());
  v.rep_ = Rep::kHeap;
  v.u_.view = {text.get(), n};
  v.heap_ = std::move(text);
  return v;
}

Value Value::StringView(std::string_view s) {
  Value v(Kind::kString);
  v.rep_ = Rep::kView;
  v.u_.view = {s.data(), s.size()};
  return v;
}

Value Value::Bytes(std::string s) {
  Value v = String(std::move(s));
  v.kind_ = Kind::kBytes;
  return v;
}

Value Value::BytesView(std::string_view s) {
  Value v = StringView(s);
  v.kind_ = Kind::kBytes;
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v(Kind::kList);
  v.rep_ = Rep::kHeap;
  // The empty list has no storage: most filters of a passing rule yield one.
  if (!items.empty()) v.heap_ = std::make_shared<const ListData>(ListData{std::move(items)});
  return v;
}

namespace {

bool IsValidKeyKind(Kind k) {
  return k == Kind::kInt || k == Kind::kUint || k == Kind::kBool || k == Kind::kString;
}

// Map keys compare with numeric heterogeneity: 1, 1u and (on lookup) 1.0 are one key.
bool KeysEqual(const Value& a, const Value& b) {
  if (a.kind() == b.kind() || (a.is_numeric() && b.is_numeric())) return ValuesEqual(a, b);
  return false;
}

}  // namespace

namespace {

constexpr size_t kIndexedMapSize = 16;

// One string per key class: 1, 1u and 1.0 are the same key.
std::string NormalisedKey(const Value& k) {
  switch (k.kind()) {
    case Kind::kString: return "s" + std::string(k.string_value());
    case Kind::kBool: return k.bool_value() ? "b1" : "b0";
    case Kind::kInt: return "n" + std::to_string(k.int_value());
    case Kind::kUint: return "n" + std::to_string(k.uint_value());
    case Kind::kDouble: {
      double d = k.double_value();
      if (d == std::trunc(d) && d >= -9.2e18 && d <= 9.2e18) return "n" + std::to_string(static_cast<int64_t>(d));
      if (d == std::trunc(d) && d > 0 && d < 1.8e19) return "n" + std::to_string(static_cast<uint64_t>(d));
      return "d";  // never equal to a valid key
    }
    default: return "x";
  }
}

}  // namespace

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  MapData data;
  bool indexed = entries.size() > kIndexedMapSize;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Value& k = entries[i].first;
    if (k.is_error()) return k;
    if (!IsValidKeyKind(k.kind())) return Error("unsupported key type");
    if (indexed) {
      if (!data.index.emplace(NormalisedKey(k), i).second) return Error("Failed with repeated key");
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (KeysEqual(entries[j].first, k)) return Error("Failed with repeated key");
    }
  }
  data.entries = std::move(entries);
  Value v(Kind::kMap);
  v.rep_ = Rep::kHeap;
  v.heap_ = std::make_shared<const MapData>(std::move(data));
  return v;
}

Value Value::Json(simdjson::dom::element e, const json::KeyIndex* keys) {
  Value v;
  v.SetJson(e, keys);
  return v;
}

// Fills a fresh (null) Value in place: lookups build their result where it is
// returned, without a temporary to move.
void Value::SetJson(simdjson::dom::element e, const json::KeyIndex* keys) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY:
    case element_type::OBJECT:
      kind_ = e.type() == element_type::ARRAY ? Kind::kList : Kind::kMap;
      rep_ = Rep::kJson;
      json_ = e;
      u_.keys = keys;
      return;
    case element_type::INT64:
      kind_ = Kind::kInt;
      u_.i = int64_t(e);
      return;
    case element_type::UINT64:
      // Only past INT64_MAX: Kubernetes decodes such a number as a float64.
      kind_ = Kind::kDouble;
      u_.d = static_cast<double>(uint64_t(e));
      return;
    case element_type::DOUBLE:
      kind_ = Kind::kDouble;
      u_.d = double(e);
      return;
    case element_type::STRING: {
      std::string_view text(e);
      kind_ = Kind::kString;
      rep_ = Rep::kView;
      u_.view = {text.data(), text.size()};
      return;
    }
    case element_type::BOOL:
      kind_ = Kind::kBool;
      u_.b = bool(e);
      return;
    case element_type::NULL_VALUE: return;
  }
}

Value Value::Type(std::string_view name) {
  Value v = StringView(name);
  v.kind_ = Kind::kType;
  return v;
}

Value Value::Optional(Value inner) {
  if (inner.kind_ == Kind::kOptional || inner.kind_ == Kind::kError) {
    Value v(Kind::kOptional);
    v.rep_ = Rep::kHeap;
    v.opt_ = OptState::kBoxed;
    v.heap_ = std::make_shared<const OptionalData>(OptionalData{true, std::move(inner)});
    return v;
  }
  inner.inner_ = inner.kind_;
  inner.kind_ = Kind::kOptional;
  inner.opt_ = OptState::kInline;
  return inner;
}

Value Value::OptionalNone() {
  Value v(Kind::kOptional);
  v.opt_ = OptState::kNone;
  return v;
}

Value Value::Opaque(std::shared_ptr<const OpaqueValue> o) {
  Value v(Kind::kOpaque);
  v.rep_ = Rep::kHeap;
  v.heap_ = std::move(o);
  return v;
}

Value Value::Error(std::string message) {
  Value v(Kind::kError);
  v.rep_ = Rep::kHeap;
  v.heap_ = std::make_shared<const ErrorData>(ErrorData{std::move(message)});
  return v;
}

const std::string& Value::error_message() const {
  return static_cast<const ErrorData*>(heap_.get())->message;
}

Value Value::optional_value() const {
  if (opt_ == OptState::kBoxed) return static_cast<const OptionalData*>(heap_.get())->value;
  Value v = *this;
  v.kind_ = inner_;
  v.opt_ = OptState::kNotOptional;
  return v;
}

const OpaqueValue& Value::opaque() const { return *static_cast<const OpaqueValue*>(heap_.get()); }

const Value::ListData& Value::list_data() const { return *static_cast<const ListData*>(heap_.get()); }
const Value::MapData& Value::map_data() const { return *static_cast<const MapData*>(heap_.get()); }

size_t Value::list_size() const {
  if (rep_ == Rep::kJson) return simdjson::dom::array(json_).size();
  return heap_ ? list_data().items.size() : 0;
}

Value Value::list_at(size_t i) const {
  if (rep_ == Rep::kJson) {
    simdjson::dom::element e;
    if (simdjson::dom::array(json_).at(i).get(e) != simdjson::SUCCESS) return Error("index out of range");
    return JsonChild(e);
  }
  if (i >= list_size()) return Error("index out of range");
  return list_data().items[i];
}

size_t Value::map_size() const {
  if (rep_ == Rep::kJson) return simdjson::dom::object(json_).size();
  return map_data().entries.size();
}

std::optional<Value> Value::MapFindKey(const json::HashedKey& key) const {
  if (rep_ == Rep::kJson) {
    if (u_.keys != nullptr && u_.keys->usable()) return IndexedFind(key);
    return JsonScan(key.text);
  }
  return HeapMapFind(key.text);
}

// One result object, built where the caller keeps it (a Value moved through the
// stack costs a stalled reload of what was just written).
std::optional<Value> Value::IndexedFind(const json::HashedKey& key) const {
  std::optional<Value> found;
  JsonId id = json_identity();
  uint32_t at = u_.keys->Find(static_cast<uint32_t>(id.index), key);
  if (at != 0) found.emplace().SetJsonAt(id.doc, at, u_.keys);
  return found;
}

std::optional<Value> Value::IndexedPath(std::span<const json::HashedKey> keys, size_t* found, bool* at_list) const {
  std::optional<Value> end;
  JsonId id = json_identity();
  json::KeyIndex::Followed r = u_.keys->Follow(static_cast<uint32_t>(id.index), keys);
  *found = r.found;
  *at_list = false;
  if (r.found == keys.size()) {
    end.emplace().SetJsonAt(id.doc, r.at, u_.keys);
  } else {
    *at_list = u_.keys->TypeAt(r.at) == '[';
  }
  return end;
}

void Value::SetJsonAt(uint64_t doc, uint32_t at, const json::KeyIndex* keys) {
  // The same document, another place in its tape (see json_identity).
  simdjson::dom::element e;
  const uint64_t words[2] = {doc, at};
  std::memcpy(static_cast<void*>(&e), words, sizeof words);
  SetJson(e, keys);
}

// Without an index, a linear scan like simdjson's at_key, but checking the first
// byte before calling memcmp: Kubernetes objects have many keys of equal length.
std::optional<Value> Value::JsonScan(std::string_view key) const {
  simdjson::dom::object obj(json_);
  for (auto it = obj.begin(), end = obj.end(); it != end; ++it) {
    if (it.key_length() != key.size()) continue;
    const char* k = it.key_c_str();
    if (!key.empty() && k[0] != key[0]) continue;
    if (std::memcmp(k, key.data(), key.size()) == 0) return JsonChild(it.value());
  }
  return std::nullopt;
}

std::optional<Value> Value::HeapMapFind(std::string_view key) const {
  if (const Value* v = BuiltMapValue(key)) return *v;
  return std::nullopt;
}

const Value* Value::BuiltMapValue(std::string_view key) const {
  if (kind_ != Kind::kMap || rep_ == Rep::kJson || !heap_) return nullptr;
  const MapData& m = map_data();
  if (!m.index.empty()) {
    // The normalised key ("s" + key), on the stack when short.
    char buf[128];
    std::string long_key;
    std::string_view normalised;
    if (key.size() < sizeof buf) {
      buf[0] = 's';
      std::memcpy(buf + 1, key.data(), key.size());
      normalised = std::string_view(buf, key.size() + 1);
    } else {
      long_key = "s" + std::string(key);
      normalised = long_key;
    }
    auto it = m.index.find(normalised);
    return it == m.index.end() ? nullptr : &m.entries[it->second].second;
  }
  for (const auto& [k, v] : m.entries) {
    if (k.kind() == Kind::kString && k.string_value() == key) return &v;
  }
  return nullptr;
}

Value::JsonId Value::json_identity() const {
  if (rep_ != Rep::kJson) return {};
  // dom::element is a (document*, tape index) pair with no public accessor; its
  // bytes identify the element.
  static_assert(sizeof(simdjson::dom::element) == 2 * sizeof(uint64_t));
  static_assert(std::is_trivially_copyable_v<simdjson::dom::element>);
  uint64_t words[2];
  std::memcpy(words, &json_, sizeof words);
  return {words[0], words[1]};
}

std::optional<Value> Value::MapFind(const Value& key) const {
  if (key.kind() == Kind::kString) return MapFindString(key.string_value());
  if (rep_ == Rep::kJson) return std::nullopt;  // JSON objects have only string keys
  if (!(key.is_numeric() || key.kind() == Kind::kBool)) return std::nullopt;
  const MapData& m = map_data();
  if (!m.index.empty()) {
    auto it = m.index.find(NormalisedKey(key));
    if (it == m.index.end()) return std::nullopt;
    return m.entries[it->second].second;
  }
  for (const auto& [k, v] : m.entries) {
    if (KeysEqual(k, key)) return v;
  }
  return std::nullopt;
}

Value Value::TypeOf() const {
  switch (kind_) {
    case Kind::kNull: return Type(type_names::kNull);
    case Kind::kBool: return Type(type_names::kBool);
    case Kind::kInt: return Type(type_names::kInt);
    case Kind::kUint: return Type(type_names::kUint);
    case Kind::kDouble: return Type(type_names::kDouble);
    case Kind::kString: return Type(type_names::kString);
    case Kind::kBytes: return Type(type_names::kBytes);
    case Kind::kList: return Type(type_names::kList);
    case Kind::kMap: return Type(type_names::kMap);
    case Kind::kType: return Type(type_names::kType);
    case Kind::kTimestamp: return Type(type_names::kTimestamp);
    case Kind::kDuration: return Type(type_names::kDuration);
    case Kind::kOptional: return Type(type_names::kOptional);
    case Kind::kOpaque: return Type(opaque().TypeName());
    case Kind::kError: return *this;
  }
  return Null();
}

namespace {

// int/uint against double compare through double after a range check, as cel-go
// does (the conformance suite expects this lossy behaviour at the int64 edges).
Order CompareDoubles(double x, double y) {
  if (x < y) return Order::kLess;
  if (x > y) return Order::kGreater;
  return Order::kEqual;
}

Order CompareIntDouble(int64_t i, double d) {
  if (std::isnan(d)) return Order::kUnordered;
  if (d < -9223372036854775808.0) return Order::kGreater;
  if (d > 9223372036854775808.0) return Order::kLess;
  return CompareDoubles(static_cast<double>(i), d);
}

Order CompareUintDouble(uint64_t u, double d) {
  if (std::isnan(d)) return Order::kUnordered;
  if (d < 0) return Order::kGreater;
  if (d > 18446744073709551616.0) return Order::kLess;
  return CompareDoubles(static_cast<double>(u), d);
}

Order Invert(Order o) {
  if (o == Order::kLess) return Order::kGreater;
  if (o == Order::kGreater) return Order::kLess;
  return o;
}

template <typename T>
Order Cmp(const T& a, const T& b) {
  if (a < b) return Order::kLess;
  if (b < a) return Order::kGreater;
  return Order::kEqual;
}

Order CompareNumbers(const Value& a, const Value& b) {
  switch (a.kind()) {
    case Kind::kInt:
      if (b.kind() == Kind::kInt) return Cmp(a.int_value(), b.int_value());
      if (b.kind() == Kind::kUint) {
        if (a.int_value() < 0) return Order::kLess;
        return Cmp(static_cast<uint64_t>(a.int_value()), b.uint_value());
      }
      return CompareIntDouble(a.int_value(), b.double_value());
    case Kind::kUint:
      if (b.kind() == Kind::kUint) return Cmp(a.uint_value(), b.uint_value());
      if (b.kind() == Kind::kInt) return Invert(CompareNumbers(b, a));
      return CompareUintDouble(a.uint_value(), b.double_value());
    default:  // double
      if (b.kind() == Kind::kDouble) {
        double x = a.double_value(), y = b.double_value();
        if (std::isnan(x) || std::isnan(y)) return Order::kUnordered;
        return Cmp(x, y);
      }
      return Invert(CompareNumbers(b, a));
  }
}

}  // namespace

Order CompareValues(const Value& a, const Value& b) {
  if (a.is_numeric() && b.is_numeric()) return CompareNumbers(a, b);
  if (a.kind() != b.kind()) return Order::kNoOverload;
  switch (a.kind()) {
    case Kind::kBool: return Cmp(a.bool_value(), b.bool_value());
    case Kind::kString:
    case Kind::kBytes: return Cmp(a.string_value(), b.string_value());
    case Kind::kDuration: return Cmp(a.duration_value(), b.duration_value());
    case Kind::kTimestamp: {
      int c = CompareTimestamps(a.timestamp_value(), b.timestamp_value());
      return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
    }
    default: return Order::kNoOverload;
  }
}

bool ValuesEqual(const Value& a, const Value& b, WorkBudget* budget) {
  if (budget && !budget->Spend()) return false;
  if (a.is_numeric() && b.is_numeric()) return CompareNumbers(a, b) == Order::kEqual;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return a.bool_value() == b.bool_value();
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kType: return a.string_value() == b.string_value();
    case Kind::kDuration: return a.duration_value() == b.duration_value();
    case Kind::kTimestamp: return CompareTimestamps(a.timestamp_value(), b.timestamp_value()) == 0;
    case Kind::kList: {
      size_t n = a.list_size();
      if (n != b.list_size()) return false;
      bool eq = true;
      size_t i = 0;
      std::vector<Value> rhs;
      rhs.reserve(n);
      b.ForEachElement([&](const Value& v) { rhs.push_back(v); return true; });
      a.ForEachElement([&](const Value& v) {
        eq = ValuesEqual(v, rhs[i++], budget);
        return eq;
      });
      return eq;
    }
    case Kind::kMap: {
      if (a.map_size() != b.map_size()) return false;
      bool eq = true;
      a.ForEachEntry([&](const Value& k, const Value& v) {
        auto other = b.MapFind(k);
        eq = other.has_value() && ValuesEqual(v, *other, budget);
        return eq;
      });
      return eq;
    }
    case Kind::kOptional:
      if (a.optional_has_value() != b.optional_has_value()) return false;
      return !a.optional_has_value() || ValuesEqual(a.optional_value(), b.optional_value(), budget);
    case Kind::kOpaque: return a.opaque().Equals(b.opaque());
    default: return false;
  }
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits in Go's %g layout: exponent form when the exponent
  // is below -4 or at least 6 (strconv decides with precision 6 when it prints
  // the shortest digits).
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t epos = sci.find('e');
  int exp = std::stoi(sci.substr(epos + 1));
  std::string mant = sci.substr(0, epos);
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  if (exp < -4 || exp >= 6) {
    std::string out = neg ? "-" : "";
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out + eb;
  }
  std::string out;
  if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return neg ? "-" + out : out;
}

namespace {

// Replaces each byte that does not start a valid UTF-8 sequence with U+FFFD.
std::string SanitiseUtf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len > 0 && i + len <= s.size() && utf8::IsValid(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string ValueToString(const Value& v, WorkBudget* budget) {
  if (budget && !budget->Spend()) return "";
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return v.bool_value() ? "true" : "false";
    case Kind::kInt: return std::to_string(v.int_value());
    case Kind::kUint: return std::to_string(v.uint_value());
    case Kind::kDouble: return FormatDouble(v.double_value());
    case Kind::kString:
    case Kind::kType: return std::string(v.string_value());
    case Kind::kBytes: {
      std::string_view b = v.string_value();
      if (budget && !budget->Spend(static_cast<int64_t>(b.size() / 10))) return "";
      return utf8::IsValid(b) ? std::string(b) : SanitiseUtf8(b);
    }
    case Kind::kTimestamp: return FormatTimestamp(v.timestamp_value());
    case Kind::kDuration: return FormatDuration(v.duration_value());
    case Kind::kList: {
      std::string out = "[";
      bool first = true;
      v.ForEachElement([&](const Value& e) {
        if (!first) out += ", ";
        first = false;
        out += ValueToString(e, budget);
        return !(budget && budget->exhausted());
      });
      return out + "]";
    }
    case Kind::kMap: {
      // Sorted by the printed key so that output is stable.
      std::vector<std::pair<std::string, std::string>> items;
      v.ForEachEntry([&](const Value& k, const Value& val) {
        items.emplace_back(ValueToString(k, budget), ValueToString(val, budget));
        return !(budget && budget->exhausted());
      });
      std::sort(items.begin(), items.end());
      std::string out = "{";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i].first + ": " + items[i].second;
      }
      return out + "}";
    }
    case Kind::kOptional:
      return v.optional_has_value() ? "optional(" + ValueToString(v.optional_value(), budget) + ")" : "optional.none()";
    case Kind::kOpaque: return v.opaque().ToString();
    case Kind::kError: return v.error_message();
  }
  return "";
}

}  // namespace clausegate::cel
