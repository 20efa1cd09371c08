#pragma once
// Reads policies, exceptions and control catalogues from YAML, validates them
// against the schema, resolves clause references and compiles every expression.
// A set with any problem is reported whole and must not be applied.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/source_position.h"
#include "policy/model.h"

namespace clausegate::policy {

struct LoadResult {
  std::vector<Policy> policies;
  std::vector<PolicyException> exceptions;
  std::vector<Catalogue> catalogues;  // the shipped ones first
  std::vector<Issue> issues;          // every problem found, in file order
  bool ok() const { return issues.empty(); }
};

// One source text, already read.
struct SourceFile {
  std::string path;
  std::string text;
};

// What a directory walk takes: policies are *.yaml / *.yml and never come from the
// `testdata` directories that hold the fixtures of the suites beside them;
// manifests (as kubectl reads a directory) are *.yaml, *.yml and *.json, testdata
// included.
enum class FileSet { kPolicies, kManifests };

// Files and directories (recursively, hidden entries left out, sorted per
// directory). A path that does not exist is an issue; a file named explicitly is
// taken whatever its extension.
std::vector<std::string> ListFiles(const std::vector<std::string>& paths, std::vector<Issue>* issues,
                                   FileSet set = FileSet::kPolicies);

// ListFiles, each file read whole (policy files: at most 4 MiB each).
std::vector<SourceFile> ReadPolicyFiles(const std::vector<std::string>& paths, std::vector<Issue>* issues);

struct LoadOptions {
  // The largest estimated cost (Kubernetes' estimate, cel/checker/cost_estimate.h)
  // an expression may have; above it the policy is refused. Unbounded by default,
  // as the API server leaves ValidatingAdmissionPolicy expressions.
  uint64_t max_estimated_cost = UINT64_MAX;
  // The controller's namespace: an exception kept there may waive anywhere (and
  // cluster-scoped objects); one kept in another namespace waives only there.
  std::string controller_namespace;
};

// Validates and compiles. The shipped control catalogues are always loaded;
// ControlCatalogue documents among the sources add to them.
LoadResult LoadPolicies(const std::vector<SourceFile>& sources, const LoadOptions& options = {});

// ReadPolicyFiles + LoadPolicies: every problem of both in `issues`.
LoadResult LoadPolicyPaths(const std::vector<std::string>& paths, const LoadOptions& options = {});

// Every expression of a policy, in the order of its spec: matchConditions,
// variables, validations (each with its messageExpression), auditAnnotations.
std::vector<const NamedExpression*> ExpressionsOf(const Policy& p);

// Keeps only the policies whose labels match (exceptions and catalogues stay).
void KeepSelected(LoadResult* loaded, const LabelSelector& selector);

// The catalogues compiled into the binary (policies/controls/*.yaml).
std::vector<SourceFile> ShippedCatalogues();

}  // namespace clausegate::policy
