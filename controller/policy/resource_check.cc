#include "policy/resource_check.h"

#include <set>

namespace clausegate::policy {

bool IsPolicyResource(std::string_view group, std::string_view kind) {
  return group == kPolicyGroup && (kind == "CompliancePolicy" || kind == "CompliancePolicyException");
}

LoadResult LoadPolicyResource(std::string_view object_json, const LoadOptions& options) {
  LoadResult r = LoadPolicies({{"", std::string(object_json)}}, options);
  for (Policy& p : r.policies) {
    p.origin.file = "CompliancePolicy/" + p.name;
    p.origin.cluster = true;
  }
  for (PolicyException& e : r.exceptions) {
    e.origin.file = "CompliancePolicyException/" + e.DisplayName();
    e.origin.cluster = true;
  }
  return r;
}

std::string ResourceSpecText(const nlohmann::json& object) {
  nlohmann::json read = object;
  if (read.is_object()) read.erase("status");
  if (read.contains("metadata") && read["metadata"].is_object()) {
    for (const char* volatile_field : {"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"}) {
      read["metadata"].erase(volatile_field);
    }
  }
  return read.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ResourceProblems(const LoadResult& loaded) {
  std::vector<std::string> problems;
  for (const Issue& i : loaded.issues) problems.push_back(i.ToFieldString());
  if (problems.empty() && loaded.exceptions.size() == 1) {
    for (const std::string& why : loaded.exceptions[0].incomplete) problems.push_back("the exception " + why);
  }
  return problems;
}

std::vector<std::string> JoinResourcePolicies(std::vector<Policy>* policies, const std::vector<Policy>& from_resources) {
  std::set<std::string> names;
  for (const auto& p : *policies) names.insert(p.name);
  std::vector<std::string> left_out;
  for (const auto& p : from_resources) {
    if (names.insert(p.name).second) policies->push_back(p);
    else left_out.push_back(p.name);
  }
  return left_out;
}

namespace {

bool SameExpiry(std::string_view old_json, const Timestamp& expires, const LoadOptions& options) {
  LoadResult r = LoadPolicies({{"", std::string(old_json)}}, options);
  return r.exceptions.size() == 1 && r.exceptions[0].expires &&
         clausegate::CompareTimestamps(*r.exceptions[0].expires, expires) == 0;
}

}  // namespace

std::vector<std::string> CheckPolicyResource(std::string_view object_json, std::optional<std::string_view> old_object_json,
                                             const LoadOptions& options, clausegate::Timestamp now) {
  LoadResult r = LoadPolicyResource(object_json, options);
  std::vector<std::string> problems = ResourceProblems(r);
  if (!problems.empty() || r.exceptions.size() != 1) return problems;
  const PolicyException& ex = r.exceptions[0];
  if (ex.expires && clausegate::CompareTimestamps(*ex.expires, now) <= 0) {
    // Editing an exception that has since expired (its labels, say) is no new waiver.
    if (!old_object_json || !SameExpiry(*old_object_json, *ex.expires, options)) {
      problems.push_back("spec.expires: " + clausegate::FormatTimestamp(*ex.expires) +
                         " is not in the future: an exception that has expired waives nothing");
    }
  }
  return problems;
}

}  // namespace clausegate::policy
