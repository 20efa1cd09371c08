#pragma once
// Reports of `clausegate check`: one entry per object with the engine's decision.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "common/source_position.h"
#include "engine/engine.h"

namespace clausegate::report {

struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string file;
  SourcePosition position;  // where the object starts in the file
};

struct CheckedObject {
  ObjectRef object;
  engine::Decision decision;
};

struct CheckSummary {
  size_t objects = 0;
  size_t denied = 0;    // objects with at least one denial
  size_t warnings = 0;  // warnings across all objects
  size_t audits = 0;
  size_t exceptions = 0;  // rules waived by an exception
};

CheckSummary Summarise(const std::vector<CheckedObject>& results);
void AddToSummary(const CheckedObject& result, CheckSummary* summary);

// Writes a report as objects are checked. Text and JSON stream, so memory does
// not grow with the number of objects; the other formats collect until Finish.
class CheckWriter {
 public:
  virtual ~CheckWriter() = default;
  virtual void Add(CheckedObject result) = 0;
  virtual void Finish() = 0;
  const CheckSummary& summary() const { return summary_; }

 protected:
  CheckSummary summary_;
};

// format: text, json, junit, sarif, policyreport; null for an unknown format.
std::unique_ptr<CheckWriter> MakeCheckWriter(const std::string& format, std::ostream& out, bool colour,
                                             const std::string& version, int64_t timestamp_seconds);

// Human-readable, grouped by object, clause references on every verdict line.
void WriteText(std::ostream& out, const std::vector<CheckedObject>& results, bool colour);
// The stable JSON schema documented in the README.
void WriteJson(std::ostream& out, const std::vector<CheckedObject>& results);
// JUnit XML: a test suite per object, a test case per object x matched policy;
// denials are failures, warnings go to system-out.
void WriteJunit(std::ostream& out, const std::vector<CheckedObject>& results);
// SARIF 2.1.0: a rule per policy rule, a result per violation with the file and
// line of the object.
void WriteSarif(std::ostream& out, const std::vector<CheckedObject>& results, const std::string& version);
// wgpolicyk8s.io/v1alpha2 PolicyReport (ClusterPolicyReport for cluster-scoped
// objects) YAML, one report per namespace.
void WritePolicyReports(std::ostream& out, const std::vector<CheckedObject>& results, int64_t timestamp_seconds);

}  // namespace clausegate::report
