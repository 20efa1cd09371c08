#pragma once
// The static types of the admission variables, as the API server declares them for
// ValidatingAdmissionPolicy (k8s.io/apiserver/pkg/admission/plugin/cel): `request`
// is a kubernetes.AdmissionRequest, `namespaceObject` a kubernetes.Namespace with
// the fields the API server exposes; `object`, `oldObject` and `params` are dyn.

#include <optional>
#include <string_view>

#include "cel/checker/types.h"

namespace clausegate::policy {

cel::checker::Type AdmissionRequestType();
cel::checker::Type NamespaceObjectType();

// A type by name: the two above, or anything cel::checker::ParseType reads.
std::optional<cel::checker::Type> AdmissionTypeByName(std::string_view name);

}  // namespace clausegate::policy
