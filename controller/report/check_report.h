#pragma once
// Reports of `clausegate check`: one entry per object with the engine's decision.

#include <cstdint>
#include <iosfwd>
#include <map>
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

// An input that could not be read (an error: what it held was not judged) or was
// read with a remark (a warning, e.g. a mapping key given twice), at file:line:col.
struct InputProblem {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  Issue issue;
};

struct CheckSummary {
  size_t objects = 0;
  size_t denied = 0;    // objects with at least one denial
  size_t warnings = 0;  // warnings across all objects
  size_t audits = 0;
  size_t exceptions = 0;  // rules waived by an exception
  size_t input_errors = 0;
  size_t input_warnings = 0;
};

// "policy/rule" ("policy/matchConditions" for a policy-level error).
std::string RuleId(const engine::RuleResult& r);
// The clauses a result cites: its rule's, or the policy's for a policy-level error.
const std::vector<policy::ClauseRef>& Clauses(const engine::RuleResult& r);
// DENY, WARN, AUDIT, IGNORED, EXCEPTED or PASS.
std::string Verdict(const engine::RuleResult& r);
// "Pod shop/web", "ClusterRole admin".
std::string Describe(const ObjectRef& o);
// Text for XML and HTML: the five special characters escaped, control characters
// XML 1.0 forbids left out.
std::string XmlEscape(const std::string& s);

// The exceptions of a set as text, those in force first, then the expired, then
// those without effect: "  team-a/break-glass (INC-42): in force until T; waives
// p/rule; used 3 times". `used`: how many results each one waived.
void WriteExceptionList(std::ostream& out, const std::vector<policy::PolicyException>& exceptions,
                        const clausegate::Timestamp& now, const std::map<const policy::PolicyException*, size_t>& used);

CheckSummary Summarise(const std::vector<CheckedObject>& results);
void AddToSummary(const CheckedObject& result, CheckSummary* summary);

// Writes a report as objects are checked. Text and JSON stream; JUnit and SARIF
// keep their totals and rules and write the rest to a temporary file until Finish;
// PolicyReports keep capped reports per namespace: memory does not grow with the
// number of objects.
// Every format shows the input problems in its own way.
class CheckWriter {
 public:
  virtual ~CheckWriter() = default;
  virtual void Add(CheckedObject result) = 0;
  void AddProblem(InputProblem problem);
  virtual void Finish() = 0;
  const CheckSummary& summary() const { return summary_; }

 protected:
  virtual void WriteProblem(const InputProblem& problem) = 0;
  CheckSummary summary_;
  std::vector<InputProblem> problems_;  // every one, for the formats that list them at the end
};

// format: text, json, junit, sarif, policyreport; null for an unknown format.
std::unique_ptr<CheckWriter> MakeCheckWriter(const std::string& format, std::ostream& out, bool colour,
                                             const std::string& version, int64_t timestamp_seconds);

std::unique_ptr<CheckWriter> MakeJunitWriter(std::ostream& out);
std::unique_ptr<CheckWriter> MakeSarifWriter(std::ostream& out, const std::string& version);

// Human-readable, grouped by object, clause references on every verdict line.
void WriteText(std::ostream& out, const std::vector<CheckedObject>& results, bool colour);
// "file:line:col: error: message", as compilers print it.
std::string ProblemLine(const InputProblem& problem);
// The stable JSON schema documented in the README.
void WriteJson(std::ostream& out, const std::vector<CheckedObject>& results);
// JUnit XML: a test suite per object, a test case per object x matched policy;
// denials are failures, warnings go to system-out.
void WriteJunit(std::ostream& out, const std::vector<CheckedObject>& results,
                const std::vector<InputProblem>& problems = {});
// SARIF 2.1.0: a rule per policy rule, a result per violation with the file and
// line of the object.
void WriteSarif(std::ostream& out, const std::vector<CheckedObject>& results, const std::string& version,
                const std::vector<InputProblem>& problems = {});
// wgpolicyk8s.io/v1alpha2 PolicyReport (ClusterPolicyReport for cluster-scoped
// objects) YAML, one report per namespace.
void WritePolicyReports(std::ostream& out, const std::vector<CheckedObject>& results, int64_t timestamp_seconds,
                        const std::vector<InputProblem>& problems = {});
class PolicyReportBuilder;
void WritePolicyReports(std::ostream& out, const PolicyReportBuilder& builder);

}  // namespace clausegate::report
