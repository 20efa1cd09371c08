#include "policy/model.h"

namespace clausegate::policy {

ExceptionState StateAt(const PolicyException& ex, const clausegate::Timestamp& now) {
  if (!ex.incomplete.empty() || !ex.expires) return ExceptionState::kNoEffect;
  return clausegate::CompareTimestamps(*ex.expires, now) <= 0 ? ExceptionState::kExpired : ExceptionState::kInForce;
}

std::string DescribeStateAt(const PolicyException& ex, const clausegate::Timestamp& now) {
  if (!ex.incomplete.empty()) {
    std::string lacks;
    for (const auto& i : ex.incomplete) lacks += (lacks.empty() ? "" : ", ") + i;
    return "incomplete (" + lacks + "): no effect";
  }
  if (!ex.expires) return "no expiry: no effect";
  if (StateAt(ex, now) == ExceptionState::kExpired) return "EXPIRED " + clausegate::FormatTimestamp(*ex.expires);
  return "in force until " + clausegate::FormatTimestamp(*ex.expires);
}

}  // namespace clausegate::policy
