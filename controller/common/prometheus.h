#pragma once
// The Prometheus text format, as the metrics of the webhook and the audit write it.

#include <string>
#include <string_view>

namespace clausegate {

// A label value with \, " and newlines escaped.
inline std::string PrometheusEscape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace clausegate
