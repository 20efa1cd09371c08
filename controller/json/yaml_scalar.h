#pragma once
// How Kubernetes types a YAML scalar.
//
// kubectl, Helm and the API server read YAML with sigs.k8s.io/yaml: go-yaml v2 (YAML 1.1
// rules) into untyped values, then JSON. This is that typing, so that a manifest
// checked in CI means what it means in the cluster: `0b0`, `0_0` and `0x_0` are the
// integer 0, `y` and `off` are booleans, timestamps stay strings, `.inf` cannot be
// written as JSON at all.

#include <string>
#include <string_view>

namespace clausegate::json {

enum class ScalarType { kNull, kBool, kInt, kFloat, kString, kError };

struct ScalarValue {
  ScalarType type = ScalarType::kString;
  // kBool, kInt, kFloat: the JSON text. kString: the value when it is not the scalar's
  // own text (a decoded !!binary), else empty with `own_text` false. kError: why.
  std::string text;
  bool own_text = false;
};

// `tag` is the scalar's explicit tag in long form ("tag:yaml.org,2002:int") or empty;
// `plain` says it was written without quotes (only then is an untagged scalar typed).
ScalarValue ResolveYamlScalar(std::string_view value, std::string_view tag, bool plain);

// Whether an untagged plain scalar is a string without looking further (the first
// character rules out every other type, or it is a word longer than any keyword).
bool IsPlainString(std::string_view scalar);

// The JSON text of an untagged plain scalar (a string is quoted); an error resolves to
// the quoted text.
std::string PlainScalarToJson(std::string_view scalar);

// A mapping key as the JSON object key sigs.k8s.io/yaml makes of it: strings as they
// are, integers in decimal, booleans as true/false, floats in Go's shortest 32-bit form.
// False (with `why`) for keys JSON cannot have (null, collections, unsigned 64-bit).
bool YamlKeyString(const ScalarValue& resolved, std::string_view text, std::string* key, std::string* why);

// JSON string literal for arbitrary bytes (quotes, escapes; each byte that is not
// part of valid UTF-8 becomes U+FFFD, as Go's encoder does).
std::string JsonQuote(std::string_view text);
void AppendJsonQuoted(std::string_view text, std::string* out);

}  // namespace clausegate::json
