#pragma once
// The CompliancePolicy and CompliancePolicyException resources of a cluster, listed
// and loaded one by one as `serve` loads them, so that `clausegate audit` judges
// with what the webhook judges with.

#include <string>
#include <vector>

#include <httplib.h>

#include "common/status.h"
#include "policy/loader.h"
#include "policy/model.h"

namespace clausegate::audit {

struct ClusterPolicies {
  bool installed = false;  // false: the CRDs are not there (nothing listed)
  std::vector<policy::Policy> policies;
  std::vector<policy::PolicyException> exceptions;  // incomplete ones too: they are shown, and waive nothing
  // "CompliancePolicy/NAME: problem; problem" for each resource that does not load:
  // left out alone, as serve leaves it out.
  std::vector<std::string> refused;
  // Every resource listed (kind, namespace, name, what it says), in order: what the
  // set's digest is made of.
  std::string digest_input;
};

// Any failure but a missing CRD (404) is an error: an audit that silently left
// out the cluster's policies would report less than the webhook enforces.
Result<ClusterPolicies> ListClusterPolicies(httplib::ClientImpl& client, const policy::LoadOptions& options);

}  // namespace clausegate::audit
