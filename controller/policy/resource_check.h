#pragma once
// What admission says of a CompliancePolicy or CompliancePolicyException sent to the
// API server: the loader's own verdict on it (as `clausegate lint` gives it for a
// file), so that a resource the controller would refuse never reaches the cluster.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time_util.h"
#include "policy/loader.h"

namespace clausegate::policy {

inline constexpr std::string_view kPolicyGroup = "clausegate.io";

// One resource as the API server returns it (JSON), loaded as a file would be; the
// origins of what it holds name the resource ("CompliancePolicy/NAME",
// "CompliancePolicyException/NAMESPACE/NAME") and are marked as the cluster's.
LoadResult LoadPolicyResource(std::string_view object_json, const LoadOptions& options);

// What the loader reads of a resource as the API server returns it: without its
// status and the metadata the server changes on every write (resourceVersion,
// generation, managedFields, uid, creationTimestamp). The same text, the same policy.
std::string ResourceSpecText(const nlohmann::json& object);

// Why a loaded resource has no effect: its issues as field strings
// ("spec.validations[0].expression:LINE:COL: message"), and for an exception what
// it lacks. Empty when it is in force (expiry aside).
std::vector<std::string> ResourceProblems(const LoadResult& loaded);

// The policies a set judges with, from files and from the cluster: a resource's
// policy that takes the name of a file's is left out (the file's stands, whatever
// the order of events). Returns the names left out.
std::vector<std::string> JoinResourcePolicies(std::vector<Policy>* policies, const std::vector<Policy>& from_resources);

// Whether `kind` of the API group `group` is one the loader reads from the cluster.
bool IsPolicyResource(std::string_view group, std::string_view kind);

// The problems of `object_json` (one resource, as the API server sends it), each
// "spec.validations[0].expression:LINE:COL: message" or a message of the schema;
// empty when it loads. An exception must also be complete (justification, ticket,
// expiry) with an expiry after `now`, unless `old_object_json` (an UPDATE) already
// had the same expiry.
std::vector<std::string> CheckPolicyResource(std::string_view object_json, std::optional<std::string_view> old_object_json,
                                             const LoadOptions& options, clausegate::Timestamp now);

}  // namespace clausegate::policy
