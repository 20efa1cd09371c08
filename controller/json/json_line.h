#pragma once
// One JSON object on one line, written straight into a string, fields in the order
// given: the log's lines and the webhook's answers, one per request, without
// building a document first. Objects nest with Object()/End().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json/yaml_scalar.h"

namespace clausegate::json {

class JsonLine {
 public:
  JsonLine& String(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonQuoted(value, &out_);
    return *this;
  }
  JsonLine& Int(std::string_view key, int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  JsonLine& Bool(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonLine& Strings(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out_ += ',';
      AppendJsonQuoted(values[i], &out_);
    }
    out_ += ']';
    return *this;
  }
  // A nested object under `key`: the fields that follow are its own until End().
  JsonLine& Object(std::string_view key) {
    Key(key);
    out_ += '{';
    first_ = true;
    return *this;
  }
  JsonLine& End() {
    out_ += '}';
    first_ = false;
    return *this;
  }
  // The line, without a newline (every Object() ended).
  std::string Take() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonQuoted(key, &out_);
    out_ += ':';
  }
  std::string out_ = "{";
  bool first_ = true;
};

}  // namespace clausegate::json
