#include "cel/tagged.h"

#include <cmath>
#include <limits>

#include "cel/runtime/program.h"
#include "common/base64.h"

namespace clausegate::cel {
namespace {

Result<int64_t> ParseI64(const nlohmann::json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (!j.is_string()) return InvalidArgument("expected an integer string");
  try {
    size_t used = 0;
    std::string s = j.get<std::string>();
    long long v = std::stoll(s, &used);
    if (used != s.size()) return InvalidArgument("bad integer: " + s);
    return static_cast<int64_t>(v);
  } catch (const std::exception&) {
    return InvalidArgument("bad integer: " + j.dump());
  }
}

Result<uint64_t> ParseU64(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (!j.is_string()) return InvalidArgument("expected an unsigned integer string");
  try {
    size_t used = 0;
    std::string s = j.get<std::string>();
    if (!s.empty() && s[0] == '-') return InvalidArgument("bad unsigned integer: " + s);
    unsigned long long v = std::stoull(s, &used);
    if (used != s.size()) return InvalidArgument("bad unsigned integer: " + s);
    return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    return InvalidArgument("bad unsigned integer: " + j.dump());
  }
}

// An extension value from its text, built by the constructor a policy would call.
Result<Value> OpaqueFromText(std::string_view type_name, const std::string& text) {
  struct Ctor {
    std::string_view type, expr;
  };
  static constexpr Ctor kCtors[] = {{"kubernetes.Quantity", "quantity(v)"}, {"kubernetes.URL", "url(v)"},
                                    {"net.IP", "ip(v)"},                    {"net.CIDR", "cidr(v)"},
                                    {"kubernetes.Semver", "semver(v)"},
                                    {"kubernetes.NamedFormat", "format.named(v).value()"}};
  for (const Ctor& c : kCtors) {
    if (c.type != type_name) continue;
    Env env;
    int v = env.DeclareVariable("v", checker::Type::String());
    auto compiled = Compile(c.expr, env);
    if (!compiled.program) return InvalidArgument("cannot build " + std::string(type_name));
    Activation act(env);
    act.Bind(v, Value::String(text));
    Value out = compiled.program->Evaluate(act);
    if (out.is_error()) return InvalidArgument("bad " + std::string(type_name) + " \"" + text + "\": " + out.error_message());
    return out;
  }
  return InvalidArgument("unsupported opaque type: " + std::string(type_name));
}

Result<Value> FromTaggedImpl(const nlohmann::json& j, int depth) {
  if (depth > 100) return InvalidArgument("tagged value nested too deeply");
  if (!j.is_object() || j.size() != 1) return InvalidArgument("a tagged value is an object with one key: " + j.dump());
  const std::string& tag = j.begin().key();
  const nlohmann::json& v = j.begin().value();
  if (tag == "int") {
    auto r = ParseI64(v);
    if (!r.ok()) return r.status();
    return Value::Int(*r);
  }
  if (tag == "uint") {
    auto r = ParseU64(v);
    if (!r.ok()) return r.status();
    return Value::Uint(*r);
  }
  if (tag == "double") {
    if (v.is_number()) return Value::Double(v.get<double>());
    if (v == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
    if (v == "Infinity") return Value::Double(std::numeric_limits<double>::infinity());
    if (v == "-Infinity") return Value::Double(-std::numeric_limits<double>::infinity());
    return InvalidArgument("bad double: " + v.dump());
  }
  if (tag == "string") {
    if (!v.is_string()) return InvalidArgument("bad string: " + v.dump());
    return Value::String(v.get<std::string>());
  }
  if (tag == "bytes_b64") {
    if (!v.is_string()) return InvalidArgument("bad bytes: " + v.dump());
    auto b = Base64Decode(v.get<std::string>());
    if (!b) return InvalidArgument("bad base64: " + v.dump());
    return Value::Bytes(std::move(*b));
  }
  if (tag == "bool") {
    if (!v.is_boolean()) return InvalidArgument("bad bool: " + v.dump());
    return Value::Bool(v.get<bool>());
  }
  if (tag == "null") return Value::Null();
  if (tag == "list") {
    if (!v.is_array()) return InvalidArgument("bad list: " + v.dump());
    std::vector<Value> items;
    for (const auto& e : v) {
      auto r = FromTaggedImpl(e, depth + 1);
      if (!r.ok()) return r.status();
      items.push_back(std::move(*r));
    }
    return Value::List(std::move(items));
  }
  if (tag == "map") {
    if (!v.is_array()) return InvalidArgument("bad map: " + v.dump());
    std::vector<std::pair<Value, Value>> entries;
    for (const auto& e : v) {
      if (!e.is_array() || e.size() != 2) return InvalidArgument("a map entry is [key, value]: " + e.dump());
      auto k = FromTaggedImpl(e[0], depth + 1);
      if (!k.ok()) return k.status();
      auto val = FromTaggedImpl(e[1], depth + 1);
      if (!val.ok()) return val.status();
      entries.emplace_back(std::move(*k), std::move(*val));
    }
    Value m = Value::Map(std::move(entries));
    if (m.is_error()) return InvalidArgument(m.error_message());
    return m;
  }
  if (tag == "type") {
    if (!v.is_string()) return InvalidArgument("bad type: " + v.dump());
    static constexpr std::string_view kTypes[] = {
        type_names::kNull, type_names::kBool, type_names::kInt, type_names::kUint, type_names::kDouble,
        type_names::kString, type_names::kBytes, type_names::kList, type_names::kMap, type_names::kType,
        type_names::kTimestamp, type_names::kDuration, type_names::kOptional};
    for (auto t : kTypes) {
      if (t == v.get<std::string>()) return Value::Type(t);
    }
    return InvalidArgument("unknown type: " + v.dump());
  }
  if (tag == "duration" || tag == "timestamp") {
    if (!v.is_object() || !v.contains("seconds")) return InvalidArgument("bad " + tag + ": " + v.dump());
    auto secs = ParseI64(v["seconds"]);
    if (!secs.ok()) return secs.status();
    int64_t nanos = 0;
    if (v.contains("nanos")) {
      auto n = ParseI64(v["nanos"]);
      if (!n.ok()) return n.status();
      nanos = *n;
    }
    if (tag == "timestamp") return Value::Timestamp(Timestamp{*secs, static_cast<int32_t>(nanos)});
    int64_t total;
    if (__builtin_mul_overflow(*secs, int64_t{1000000000}, &total) || __builtin_add_overflow(total, nanos, &total)) {
      return InvalidArgument("duration out of range");
    }
    return Value::Duration(total);
  }
  if (tag == "optional") {
    if (v.is_null()) return Value::OptionalNone();
    auto inner = FromTaggedImpl(v, depth + 1);
    if (!inner.ok()) return inner.status();
    return Value::Optional(std::move(*inner));
  }
  if (tag == "opaque") {
    if (!v.is_object() || !v.contains("type") || !v["type"].is_string() || !v.contains("value") ||
        !v["value"].is_string()) {
      return InvalidArgument("bad opaque: " + v.dump());
    }
    return OpaqueFromText(v["type"].get<std::string>(), v["value"].get<std::string>());
  }
  return InvalidArgument("unknown tag: " + tag);
}

nlohmann::json DoubleJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

}  // namespace

Result<Value> FromTagged(const nlohmann::json& j) { return FromTaggedImpl(j, 0); }

Result<std::unordered_map<std::string, Value>> BindingsFromTagged(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("bindings must be a JSON object of name -> tagged value");
  std::unordered_map<std::string, Value> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto v = FromTagged(it.value());
    if (!v.ok()) return InvalidArgument("binding '" + it.key() + "': " + v.status().message());
    out.emplace(it.key(), std::move(*v));
  }
  return out;
}

nlohmann::json ToTagged(const Value& v) {
  using json = nlohmann::json;
  switch (v.kind()) {
    case Kind::kNull: return json{{"null", nullptr}};
    case Kind::kBool: return json{{"bool", v.bool_value()}};
    case Kind::kInt: return json{{"int", std::to_string(v.int_value())}};
    case Kind::kUint: return json{{"uint", std::to_string(v.uint_value())}};
    case Kind::kDouble: return json{{"double", DoubleJson(v.double_value())}};
    case Kind::kString: return json{{"string", std::string(v.string_value())}};
    case Kind::kBytes: return json{{"bytes_b64", Base64Encode(v.string_value())}};
    case Kind::kType: return json{{"type", std::string(v.type_name())}};
    case Kind::kList: {
      json items = json::array();
      v.ForEachElement([&](const Value& e) {
        items.push_back(ToTagged(e));
        return true;
      });
      return json{{"list", items}};
    }
    case Kind::kMap: {
      json entries = json::array();
      v.ForEachEntry([&](const Value& k, const Value& e) {
        entries.push_back(json::array({ToTagged(k), ToTagged(e)}));
        return true;
      });
      return json{{"map", entries}};
    }
    case Kind::kTimestamp: {
      auto t = v.timestamp_value();
      return json{{"timestamp", {{"seconds", std::to_string(t.seconds)}, {"nanos", t.nanos}}}};
    }
    case Kind::kDuration: {
      int64_t d = v.duration_value();
      return json{{"duration", {{"seconds", std::to_string(d / 1000000000)}, {"nanos", d % 1000000000}}}};
    }
    case Kind::kOptional:
      if (!v.optional_has_value()) return json{{"optional", nullptr}};
      return json{{"optional", ToTagged(v.optional_value())}};
    case Kind::kOpaque: return json{{"opaque", {{"type", std::string(v.opaque().TypeName())}, {"value", v.opaque().ToString()}}}};
    case Kind::kError: return json{{"error", v.error_message()}};
  }
  return nullptr;
}

nlohmann::json ToPlainJson(const Value& v) {
  using json = nlohmann::json;
  switch (v.kind()) {
    case Kind::kNull: return nullptr;
    case Kind::kBool: return v.bool_value();
    case Kind::kInt: return v.int_value();
    case Kind::kUint: return v.uint_value();
    case Kind::kDouble: return DoubleJson(v.double_value());
    case Kind::kString: return std::string(v.string_value());
    case Kind::kBytes: return Base64Encode(v.string_value());
    case Kind::kList: {
      json items = json::array();
      v.ForEachElement([&](const Value& e) {
        items.push_back(ToPlainJson(e));
        return true;
      });
      return items;
    }
    case Kind::kMap: {
      json obj = json::object();
      v.ForEachEntry([&](const Value& k, const Value& e) {
        obj[k.kind() == Kind::kString ? std::string(k.string_value()) : ValueToString(k)] = ToPlainJson(e);
        return true;
      });
      return obj;
    }
    case Kind::kOptional: return v.optional_has_value() ? ToPlainJson(v.optional_value()) : json(nullptr);
    case Kind::kError: return json{{"error", v.error_message()}};
    default: return ValueToString(v);
  }
}

bool IdenticalValues(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kDouble: {
      double x = a.double_value(), y = b.double_value();
      return (std::isnan(x) && std::isnan(y)) || x == y;
    }
    case Kind::kList: {
      if (a.list_size() != b.list_size()) return false;
      for (size_t i = 0; i < a.list_size(); ++i) {
        if (!IdenticalValues(a.list_at(i), b.list_at(i))) return false;
      }
      return true;
    }
    case Kind::kMap: {
      if (a.map_size() != b.map_size()) return false;
      bool same = true;
      a.ForEachEntry([&](const Value& k, const Value& v) {
        auto o = b.MapFind(k);
        same = o && IdenticalValues(v, *o);
        return same;
      });
      return same;
    }
    case Kind::kOptional:
      if (a.optional_has_value() != b.optional_has_value()) return false;
      return !a.optional_has_value() || IdenticalValues(a.optional_value(), b.optional_value());
    case Kind::kError: return true;
    default: return ValuesEqual(a, b);
  }
}


}  // namespace clausegate::cel
