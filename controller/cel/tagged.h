#pragma once
// Values in JSON: the tagged form ({"int": "3"}, {"list": [...]}, ...) used by the
// conformance cases and `clausegate cel --bindings/--typed`, and the plain form
// printed by `clausegate cel` without --typed.

#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "cel/values/value.h"
#include "common/status.h"

namespace clausegate::cel {

// Parses one tagged value. Never throws.
Result<Value> FromTagged(const nlohmann::json& j);
// Parses {"name": <tagged>, ...}.
Result<std::unordered_map<std::string, Value>> BindingsFromTagged(const nlohmann::json& j);

nlohmann::json ToTagged(const Value& v);
// Plain JSON: numbers, strings, lists, objects; bytes as base64, timestamps and
// durations as their string forms, types as names, optionals as value or null.
nlohmann::json ToPlainJson(const Value& v);

// Structural identity for tests: kinds must match exactly (1 != 1u != 1.0) and
// NaN is identical to NaN.
bool IdenticalValues(const Value& a, const Value& b);

}  // namespace clausegate::cel
