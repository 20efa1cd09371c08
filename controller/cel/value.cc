#include "cel/value.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace clausegate::cel {

Value Value::String(std::string s) {
  Value v(Kind::kString);
  v.rep_ = Rep::kHeap;
  v.heap_ = std::make_shared<const StringData>(StringData{std::move(s)});
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
  v.heap_ = std::make_shared<const ListData>(ListData{std::move(items)});
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

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const Value& k = entries[i].first;
    if (k.is_error()) return k;
    if (!IsValidKeyKind(k.kind())) return Error("unsupported key type");
    for (size_t j = 0; j < i; ++j) {
      if (KeysEqual(entries[j].first, k)) {
        return Error("Failed with repeated key");
      }
    }
  }
  Value v(Kind::kMap);
  v.rep_ = Rep::kHeap;
  v.heap_ = std::make_shared<const MapData>(MapData{std::move(entries)});
  return v;
}

Value Value::Json(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      Value v(Kind::kList);
      v.rep_ = Rep::kJson;
      v.json_ = e;
      return v;
    }
    case element_type::OBJECT: {
      Value v(Kind::kMap);
      v.rep_ = Rep::kJson;
      v.json_ = e;
      return v;
    }
    case element_type::INT64:
      return Int(int64_t(e));
    case element_type::UINT64:
      return Uint(uint64_t(e));
    case element_type::DOUBLE:
      return Double(double(e));
    case element_type::STRING:
      return StringView(std::string_view(e));
    case element_type::BOOL:
      return Bool(bool(e));
    case element_type::NULL_VALUE:
      return Null();
  }
  return Null();
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

std::string_view Value::string_value() const {
  if (rep_ == Rep::kHeap) return static_cast<const StringData*>(heap_.get())->text;
  return std::string_view(u_.view.data, u_.view.size);
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
  return list_data().items.size();
}

Value Value::list_at(size_t i) const {
  if (rep_ == Rep::kJson) {
    simdjson::dom::element e;
    if (simdjson::dom::array(json_).at(i).get(e) != simdjson::SUCCESS) return Error("index out of range");
    return Json(e);
  }
  return list_data().items[i];
}

size_t Value::map_size() const {
  if (rep_ == Rep::kJson) return simdjson::dom::object(json_).size();
  return map_data().entries.size();
}

std::optional<Value> Value::MapFindString(std::string_view key) const {
  if (rep_ == Rep::kJson) {
    // A linear scan like simdjson's at_key, but checking the first byte before
    // calling memcmp: Kubernetes objects have many keys of equal length.
    simdjson::dom::object obj(json_);
    for (auto it = obj.begin(), end = obj.end(); it != end; ++it) {
      if (it.key_length() != key.size()) continue;
      const char* k = it.key_c_str();
      if (!key.empty() && k[0] != key[0]) continue;
      if (std::memcmp(k, key.data(), key.size()) == 0) return Json(it.value());
    }
    return std::nullopt;
  }
  for (const auto& [k, v] : map_data().entries) {
    if (k.kind() == Kind::kString && k.string_value() == key) return v;
  }
  return std::nullopt;
}

uint64_t Value::json_identity() const {
  if (rep_ != Rep::kJson) return 0;
  // dom::element is a (document*, tape index) pair with no public accessor; its
  // bytes identify the element.
  static_assert(sizeof(simdjson::dom::element) == 2 * sizeof(uint64_t));
  uint64_t words[2];
  std::memcpy(words, &json_, sizeof words);
  return words[0] ^ (words[1] * 0x9E3779B97F4A7C15ULL);
}

std::optional<Value> Value::MapFind(const Value& key) const {
  if (key.kind() == Kind::kString) return MapFindString(key.string_value());
  if (rep_ == Rep::kJson) return std::nullopt;  // JSON objects have only string keys
  if (!(key.is_numeric() || key.kind() == Kind::kBool)) return std::nullopt;
  for (const auto& [k, v] : map_data().entries) {
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

bool ValuesEqual(const Value& a, const Value& b) {
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
        eq = ValuesEqual(v, rhs[i++]);
        return eq;
      });
      return eq;
    }
    case Kind::kMap: {
      if (a.map_size() != b.map_size()) return false;
      bool eq = true;
      a.ForEachEntry([&](const Value& k, const Value& v) {
        auto other = b.MapFind(k);
        eq = other.has_value() && ValuesEqual(v, *other);
        return eq;
      });
      return eq;
    }
    case Kind::kOptional:
      if (a.optional_has_value() != b.optional_has_value()) return false;
      return !a.optional_has_value() || ValuesEqual(a.optional_value(), b.optional_value());
    case Kind::kOpaque: return a.opaque().Equals(b.opaque());
    default: return false;
  }
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits, then Go's %g layout for precision -1.
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
  if (exp < -4 || exp >= 21) {
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

std::string ValueToString(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return v.bool_value() ? "true" : "false";
    case Kind::kInt: return std::to_string(v.int_value());
    case Kind::kUint: return std::to_string(v.uint_value());
    case Kind::kDouble: return FormatDouble(v.double_value());
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kType: return std::string(v.string_value());
    case Kind::kTimestamp: return FormatTimestamp(v.timestamp_value());
    case Kind::kDuration: return FormatDuration(v.duration_value());
    case Kind::kList: {
      std::string out = "[";
      bool first = true;
      v.ForEachElement([&](const Value& e) {
        if (!first) out += ", ";
        first = false;
        out += ValueToString(e);
        return true;
      });
      return out + "]";
    }
    case Kind::kMap: {
      // Sorted by the printed key so that output is stable.
      std::vector<std::pair<std::string, std::string>> items;
      v.ForEachEntry([&](const Value& k, const Value& val) {
        items.emplace_back(ValueToString(k), ValueToString(val));
        return true;
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
      return v.optional_has_value() ? "optional(" + ValueToString(v.optional_value()) + ")" : "optional.none()";
    case Kind::kOpaque: return v.opaque().ToString();
    case Kind::kError: return v.error_message();
  }
  return "";
}

}  // namespace clausegate::cel
