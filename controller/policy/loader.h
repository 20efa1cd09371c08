#pragma once
// Reads policies, exceptions and control catalogues from YAML, validates them
// against the schema, resolves clause references and compiles every expression.
// A set with any problem is reported whole and must not be applied.

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

// What a directory walk leaves out besides hidden entries.
enum class SkipTestdata { kYes, kNo };

// Files and directories (recursively, *.yaml / *.yml, sorted). Unreadable paths
// are issues. Directories named `testdata` hold the fixtures of the suites beside
// policies and are skipped unless `skip` says otherwise (manifests keep them).
std::vector<SourceFile> ReadPolicyFiles(const std::vector<std::string>& paths, std::vector<Issue>* issues,
                                        SkipTestdata skip = SkipTestdata::kYes);

// Validates and compiles. The shipped control catalogues are always loaded;
// ControlCatalogue documents among the sources add to them.
LoadResult LoadPolicies(const std::vector<SourceFile>& sources);

// ReadPolicyFiles + LoadPolicies: every problem of both in `issues`.
LoadResult LoadPolicyPaths(const std::vector<std::string>& paths);

// Keeps only the policies whose labels match (exceptions and catalogues stay).
void KeepSelected(LoadResult* loaded, const LabelSelector& selector);

// The catalogues compiled into the binary (policies/controls/*.yaml).
std::vector<SourceFile> ShippedCatalogues();

}  // namespace clausegate::policy
