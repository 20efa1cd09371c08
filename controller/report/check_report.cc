#include "report/check_report.h"

#include <algorithm>
#include <functional>
#include <map>
#include <ostream>

#include <nlohmann/json.hpp>

#include "json/yaml_scalar.h"  // AppendJsonQuoted

namespace clausegate::report {
namespace {

using engine::Outcome;
using policy::Action;

std::string RuleId(const engine::RuleResult& r) {
  return r.policy->name + "/" + (r.rule ? r.rule->name : std::string("matchConditions"));
}

const std::vector<policy::ClauseRef>& Clauses(const engine::RuleResult& r) {
  return r.rule ? r.rule->controls : r.policy->controls;
}

// The verdict word of a rule result: DENY, WARN, AUDIT, IGNORED, EXCEPTED or PASS.
std::string Verdict(const engine::RuleResult& r) {
  switch (r.outcome) {
    case Outcome::kPass: return "PASS";
    case Outcome::kIgnored: return "IGNORED";
    case Outcome::kExcepted: return "EXCEPTED";
    case Outcome::kError: return "DENY";
    case Outcome::kFail:
      return r.action == Action::kDeny ? "DENY" : r.action == Action::kWarn ? "WARN" : "AUDIT";
  }
  return "?";
}

std::string Describe(const ObjectRef& o) {
  std::string name = o.name.empty() ? "(unnamed)" : o.name;
  return (o.kind.empty() ? "object" : o.kind) + " " + (o.namespace_name.empty() ? name : o.namespace_name + "/" + name);
}

}  // namespace

void AddToSummary(const CheckedObject& r, CheckSummary* s) {
  ++s->objects;
  if (!r.decision.allowed) ++s->denied;
  s->warnings += r.decision.warnings.size();
  for (const auto& rr : r.decision.results) {
    if (rr.outcome == Outcome::kExcepted) ++s->exceptions;
    if (rr.outcome == Outcome::kFail && rr.action == Action::kAudit) ++s->audits;
  }
}

CheckSummary Summarise(const std::vector<CheckedObject>& results) {
  CheckSummary s;
  for (const auto& r : results) AddToSummary(r, &s);
  return s;
}

namespace {

void WriteTextObject(std::ostream& out, const CheckedObject& r, bool colour) {
  auto paint = [&](const std::string& verdict) {
    if (!colour) return verdict;
    const char* code = verdict == "DENY" ? "31" : verdict == "WARN" ? "33" : verdict == "PASS" ? "32" : "36";
    return "\033[" + std::string(code) + "m" + verdict + "\033[0m";
  };
  bool any = std::any_of(r.decision.results.begin(), r.decision.results.end(),
                         [](const engine::RuleResult& rr) { return rr.outcome != Outcome::kPass; });
  if (!any) return;
  out << Describe(r.object) << " (" << r.object.file;
  if (r.object.position.line) out << ":" << r.object.position.line;
  out << ")\n";
  for (const auto& rr : r.decision.results) {
    if (rr.outcome == Outcome::kPass) continue;
    std::string verdict = Verdict(rr);
    out << "  " << paint(verdict) << std::string(9 - std::min<size_t>(verdict.size(), 8), ' ') << RuleId(rr);
    std::string clauses = engine::RenderClauses(Clauses(rr));
    if (!clauses.empty()) out << " [" << clauses << "]";
    out << "\n      ";
    out << engine::LocatedMessage(rr);
    if (rr.exception) out << " (waived by exception " << rr.exception->name << ", ticket " << rr.exception->ticket << ")";
    out << "\n";
  }
}

void WriteTextSummary(std::ostream& out, const CheckSummary& s) {
  out << s.objects << (s.objects == 1 ? " object" : " objects") << " checked: " << s.denied << " denied, "
      << s.warnings << (s.warnings == 1 ? " warning" : " warnings") << ", " << s.audits << " audit, " << s.exceptions
      << (s.exceptions == 1 ? " exception used" : " exceptions used");
  if (s.input_errors > 0) {
    out << "; " << s.input_errors << (s.input_errors == 1 ? " input" : " inputs") << " could not be read";
  }
  if (s.input_warnings > 0) {
    out << "; " << s.input_warnings << (s.input_warnings == 1 ? " input warning" : " input warnings");
  }
  out << "\n";
}

const char* SeverityWord(const InputProblem& p) {
  return p.severity == InputProblem::Severity::kError ? "error" : "warning";
}

nlohmann::json JsonSummary(const CheckSummary& s);

}  // namespace

std::string ProblemLine(const InputProblem& p) {
  Issue i = p.issue;
  i.message = std::string(SeverityWord(p)) + ": " + i.message;
  return i.ToString();
}

void CheckWriter::AddProblem(InputProblem problem) {
  ++(problem.severity == InputProblem::Severity::kError ? summary_.input_errors : summary_.input_warnings);
  WriteProblem(problem);
  problems_.push_back(std::move(problem));
}

void WriteText(std::ostream& out, const std::vector<CheckedObject>& results, bool colour) {
  for (const auto& r : results) WriteTextObject(out, r, colour);
  WriteTextSummary(out, Summarise(results));
}

namespace {

// Indented JSON written as it goes, in the layout of nlohmann's dump(2) (keys in
// sorted order, as its objects keep them), for the one output that is written per
// object: building a tree for every object cost more than judging it.
class PrettyJson {
 public:
  PrettyJson(std::string* out, size_t indent) : out_(out), base_(indent) {}
  PrettyJson& Begin(char bracket) {
    Value();
    out_->push_back(bracket);
    open_.push_back(0);
    return *this;
  }
  PrettyJson& End(char bracket) {
    size_t n = open_.back();
    open_.pop_back();
    if (n > 0) NewLine();
    out_->push_back(bracket);
    return *this;
  }
  PrettyJson& Key(std::string_view key) {
    Item();
    json::AppendJsonQuoted(key, out_);
    *out_ += ": ";
    after_key_ = true;
    return *this;
  }
  PrettyJson& String(std::string_view v) {
    Value();
    json::AppendJsonQuoted(v, out_);
    return *this;
  }
  PrettyJson& Number(uint64_t v) {
    Value();
    *out_ += std::to_string(v);
    return *this;
  }
  PrettyJson& Bool(bool v) {
    Value();
    *out_ += v ? "true" : "false";
    return *this;
  }
  PrettyJson& Field(std::string_view key, std::string_view v) { return Key(key).String(v); }

 private:
  void NewLine() {
    out_->push_back('\n');
    out_->append(base_ + 2 * open_.size(), ' ');
  }
  void Item() {
    if (!open_.empty()) {
      if (open_.back()++ > 0) out_->push_back(',');
      NewLine();
    }
  }
  // A value in an array starts its own line; after a key it follows on the same one.
  void Value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    Item();
  }

  std::string* out_;
  size_t base_;
  std::vector<size_t> open_;  // entries written in each open object or array
  bool after_key_ = false;
};

void WriteJsonObject(const CheckedObject& r, size_t indent, std::string* out) {
  PrettyJson j(out, indent);
  j.Begin('{');
  j.Key("allowed").Bool(r.decision.allowed);
  j.Key("auditAnnotations").Begin('{');
  for (const auto& [k, v] : r.decision.audit_annotations) j.Field(k, v);
  j.End('}');
  if (!r.decision.allowed) j.Field("message", r.decision.message);
  j.Key("object").Begin('{');
  j.Field("apiVersion", r.object.api_version).Field("file", r.object.file).Field("kind", r.object.kind);
  j.Key("line").Number(r.object.position.line);
  j.Field("name", r.object.name).Field("namespace", r.object.namespace_name);
  j.End('}');
  j.Key("verdicts").Begin('[');
  for (const auto& rr : r.decision.results) {
    j.Begin('{');
    j.Field("action", policy::ToString(rr.action));
    j.Key("controls").Begin('[');
    for (const auto& c : Clauses(rr)) {
      j.Begin('{').Field("clause", c.clause).Field("id", c.id).Field("standard", c.standard).End('}');
    }
    j.End(']');
    if (rr.exception) {
      j.Key("exception").Begin('{').Field("name", rr.exception->name).Field("ticket", rr.exception->ticket).End('}');
    }
    j.Field("message", rr.message).Field("outcome", engine::ToString(rr.outcome));
    if (!rr.path.empty()) j.Field("path", rr.path);
    j.Field("policy", rr.policy->name).Field("rule", rr.rule ? rr.rule->name : "matchConditions");
    j.Field("severity", policy::ToString(rr.policy->severity)).Field("verdict", Verdict(rr));
    j.End('}');
  }
  j.End(']');
  j.Key("warnings").Begin('[');
  for (const auto& w : r.decision.warnings) j.String(w);
  j.End(']');
  j.End('}');
}

nlohmann::json JsonSummary(const CheckSummary& s) {
  return {{"objects", s.objects},       {"denied", s.denied},           {"warnings", s.warnings},
          {"audits", s.audits},         {"exceptions", s.exceptions},   {"inputErrors", s.input_errors},
          {"inputWarnings", s.input_warnings}};
}

nlohmann::json JsonProblem(const InputProblem& p) {
  return {{"file", p.issue.file},
          {"line", p.issue.position.line},
          {"column", p.issue.position.column},
          {"severity", SeverityWord(p)},
          {"message", p.issue.message}};
}

std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Indents every line but the first by `by` spaces (nesting a dumped value).
std::string Nest(const std::string& text, size_t by) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(by, ' ');
  }
  return out;
}

class TextWriter : public CheckWriter {
 public:
  TextWriter(std::ostream& out, bool colour) : out_(out), colour_(colour) {}
  void Add(CheckedObject r) override {
    AddToSummary(r, &summary_);
    WriteTextObject(out_, r, colour_);
  }
  void Finish() override { WriteTextSummary(out_, summary_); }

 private:
  void WriteProblem(const InputProblem& p) override { out_ << ProblemLine(p) << "\n"; }
  std::ostream& out_;
  bool colour_;
};

// {"results": [...], "summary": {...}}, written object by object.
class JsonWriter : public CheckWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  void Add(CheckedObject r) override {
    AddToSummary(r, &summary_);
    buffer_.clear();
    WriteJsonObject(r, 4, &buffer_);
    out_ << (first_ ? "{\n  \"results\": [\n    " : ",\n    ") << buffer_;
    first_ = false;
  }
  void Finish() override {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : problems_) problems.push_back(JsonProblem(p));
    out_ << (first_ ? "{\n  \"results\": []" : "\n  ]") << ",\n  \"problems\": " << Nest(Dump(problems, 2), 2)
         << ",\n  \"summary\": " << Nest(Dump(JsonSummary(summary_), 2), 2) << "\n}\n";
  }

 private:
  void WriteProblem(const InputProblem&) override {}  // listed at the end
  std::ostream& out_;
  std::string buffer_;
  bool first_ = true;
};

// Formats that need every object before they can be written.
class CollectingWriter : public CheckWriter {
 public:
  using Write = std::function<void(const std::vector<CheckedObject>&, const std::vector<InputProblem>&)>;
  explicit CollectingWriter(Write write) : write_(std::move(write)) {}
  void Add(CheckedObject r) override {
    AddToSummary(r, &summary_);
    results_.push_back(std::move(r));
  }
  void Finish() override { write_(results_, problems_); }

 private:
  void WriteProblem(const InputProblem&) override {}
  Write write_;
  std::vector<CheckedObject> results_;
};

}  // namespace

void WriteJson(std::ostream& out, const std::vector<CheckedObject>& results) {
  JsonWriter w(out);
  for (const auto& r : results) w.Add(r);
  w.Finish();
}

std::unique_ptr<CheckWriter> MakeCheckWriter(const std::string& format, std::ostream& out, bool colour,
                                             const std::string& version, int64_t timestamp_seconds) {
  if (format == "text") return std::make_unique<TextWriter>(out, colour);
  if (format == "json") return std::make_unique<JsonWriter>(out);
  using Problems = std::vector<InputProblem>;
  if (format == "junit") {
    return std::make_unique<CollectingWriter>(
        [&out](const std::vector<CheckedObject>& r, const Problems& p) { WriteJunit(out, r, p); });
  }
  if (format == "sarif") {
    return std::make_unique<CollectingWriter>(
        [&out, version](const std::vector<CheckedObject>& r, const Problems& p) { WriteSarif(out, r, version, p); });
  }
  if (format == "policyreport") {
    return std::make_unique<CollectingWriter>([&out, timestamp_seconds](const std::vector<CheckedObject>& r,
                                                                        const Problems& p) {
      WritePolicyReports(out, r, timestamp_seconds, p);
    });
  }
  return nullptr;
}

}  // namespace clausegate::report

namespace clausegate::report {
namespace {

std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') continue;  // not XML 1.0
        out += c;
    }
  }
  return out;
}

// The policies whose rules ran against an object, in order.
std::vector<const policy::Policy*> PoliciesOf(const engine::Decision& d) {
  std::vector<const policy::Policy*> out;
  for (const auto& r : d.results) {
    if (std::find(out.begin(), out.end(), r.policy) == out.end()) out.push_back(r.policy);
  }
  return out;
}

}  // namespace

void WriteJunit(std::ostream& out, const std::vector<CheckedObject>& results, const std::vector<InputProblem>& problems) {
  size_t tests = 0, failures = 0, errors = 0;
  std::string suites;
  // Inputs that could not be read are errors of a suite of their own (the objects in
  // them were never judged); warnings are passed cases with their remark.
  if (!problems.empty()) {
    std::string cases;
    for (const auto& p : problems) {
      std::string where = Issue{p.issue.file, p.issue.position, ""}.ToString();
      if (where.ends_with(": ")) where.resize(where.size() - 2);
      cases += "    <testcase classname=\"inputs\" name=\"" + Xml(where) + "\" file=\"" + Xml(p.issue.file) +
               "\" line=\"" + std::to_string(p.issue.position.line) + "\">\n";
      if (p.severity == InputProblem::Severity::kError) {
        ++errors;
        cases += "      <error type=\"InputError\" message=\"" + Xml(p.issue.message) + "\">" + Xml(ProblemLine(p)) +
                 "</error>\n";
      } else {
        cases += "      <system-out>" + Xml(ProblemLine(p)) + "</system-out>\n";
      }
      cases += "    </testcase>\n";
    }
    tests += problems.size();
    suites += "  <testsuite name=\"inputs\" tests=\"" + std::to_string(problems.size()) + "\" failures=\"0\" errors=\"" +
              std::to_string(errors) + "\" skipped=\"0\">\n" + cases + "  </testsuite>\n";
  }
  for (const auto& r : results) {
    auto policies = PoliciesOf(r.decision);
    size_t suite_failures = 0;
    std::string cases;
    for (const policy::Policy* p : policies) {
      std::string failure_text, failure_message, system_out;
      for (const auto& rr : r.decision.results) {
        if (rr.policy != p || rr.outcome == Outcome::kPass) continue;
        std::string line = RuleId(rr) + " [" + engine::RenderClauses(Clauses(rr)) + "]: " + rr.message;
        if (Verdict(rr) == "DENY") {
          if (failure_message.empty()) failure_message = rr.message;
          failure_text += line + "\n";
        } else {
          system_out += Verdict(rr) + " " + line + "\n";
        }
      }
      cases += "    <testcase classname=\"" + Xml(Describe(r.object)) + "\" name=\"" + Xml(p->name) + "\" file=\"" +
               Xml(r.object.file) + "\" line=\"" + std::to_string(r.object.position.line) + "\">\n";
      if (!failure_text.empty()) {
        ++suite_failures;
        cases += "      <failure type=\"Deny\" message=\"" + Xml(failure_message) + "\">" + Xml(failure_text) + "</failure>\n";
      }
      if (!system_out.empty()) cases += "      <system-out>" + Xml(system_out) + "</system-out>\n";
      cases += "    </testcase>\n";
    }
    tests += policies.size();
    failures += suite_failures;
    suites += "  <testsuite name=\"" + Xml(Describe(r.object)) + "\" tests=\"" + std::to_string(policies.size()) +
              "\" failures=\"" + std::to_string(suite_failures) + "\" errors=\"0\" skipped=\"0\">\n" + cases +
              "  </testsuite>\n";
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"clausegate\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\"" << errors
      << "\">\n"
      << suites << "</testsuites>\n";
}

void WriteSarif(std::ostream& out, const std::vector<CheckedObject>& results, const std::string& version,
                const std::vector<InputProblem>& problems) {
  using json = nlohmann::json;
  // Rules: every rule of every policy that ran, in first-seen order.
  std::vector<const engine::RuleResult*> firsts;
  std::map<std::string, size_t> index;
  json rules = json::array();
  for (const auto& r : results) {
    for (const auto& rr : r.decision.results) {
      std::string id = RuleId(rr);
      if (index.count(id)) continue;
      index[id] = rules.size();
      json tags = json::array();
      for (const auto& c : Clauses(rr)) tags.push_back(c.standard + " " + c.clause);
      std::string title = rr.policy->title.empty() ? rr.policy->name : rr.policy->title;
      std::string level = rr.action == Action::kDeny ? "error" : rr.action == Action::kWarn ? "warning" : "note";
      rules.push_back({{"id", id},
                       {"name", rr.rule ? rr.rule->name : "matchConditions"},
                       {"shortDescription", {{"text", title}}},
                       {"fullDescription", {{"text", title + " (" + engine::RenderClauses(Clauses(rr)) + ")"}}},
                       {"defaultConfiguration", {{"level", level}}},
                       {"properties", {{"tags", tags}, {"severity", policy::ToString(rr.policy->severity)}}}});
    }
  }
  json sarif_results = json::array();
  for (const auto& r : results) {
    for (const auto& rr : r.decision.results) {
      std::string verdict = Verdict(rr);
      if (verdict == "PASS") continue;
      std::string level = verdict == "DENY" ? "error" : verdict == "WARN" ? "warning" : "note";
      std::string text = Describe(r.object) + ": ";
      text += engine::PathedMessage(rr) + " (" + engine::RenderClauses(Clauses(rr)) + ")";
      json location = {{"physicalLocation",
                        {{"artifactLocation", {{"uri", r.object.file}}},
                         {"region", {{"startLine", std::max<uint32_t>(1, r.object.position.line)}}}}}};
      json res = {{"ruleId", RuleId(rr)},
                  {"ruleIndex", index[RuleId(rr)]},
                  {"level", level},
                  {"message", {{"text", text}}},
                  {"locations", json::array({location})}};
      if (rr.outcome == Outcome::kExcepted) {
        res["suppressions"] = json::array({{{"kind", "external"},
                                            {"justification", rr.exception->justification + " (ticket " + rr.exception->ticket + ")"}}});
      }
      sarif_results.push_back(std::move(res));
    }
  }
  // Inputs that could not be read, and remarks on inputs, are notifications of the
  // run (SARIF 2.1.0 section 3.58): the run did not judge everything it was given.
  json notifications = json::array();
  bool unread = false;
  for (const auto& p : problems) {
    bool error = p.severity == InputProblem::Severity::kError;
    unread |= error;
    json region = {{"startLine", std::max<uint32_t>(1, p.issue.position.line)}};
    if (p.issue.position.column > 0) region["startColumn"] = p.issue.position.column;
    notifications.push_back({{"descriptor", {{"id", error ? "input-error" : "input-warning"}}},
                             {"level", error ? "error" : "warning"},
                             {"message", {{"text", p.issue.message}}},
                             {"locations", json::array({{{"physicalLocation",
                                                          {{"artifactLocation", {{"uri", p.issue.file}}},
                                                           {"region", region}}}}})}});
  }
  json invocation = {{"executionSuccessful", !unread}, {"toolExecutionNotifications", notifications}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool", {{"driver", {{"name", "clausegate"}, {"version", version}, {"rules", rules}}}}},
                                     {"invocations", json::array({invocation})},
                                     {"results", sarif_results}}})}};
  out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

void WritePolicyReports(std::ostream& out, const std::vector<CheckedObject>& results, int64_t timestamp_seconds,
                        const std::vector<InputProblem>& problems) {
  using json = nlohmann::json;
  // namespace ("" for cluster-scoped) -> report
  std::map<std::string, json> reports;
  std::map<std::string, std::map<std::string, int>> summaries;
  // Input problems belong to no namespace: results of the cluster report, with the
  // file and position as properties and no resource.
  for (const auto& p : problems) {
    bool error = p.severity == InputProblem::Severity::kError;
    json& list = reports[""];
    if (list.is_null()) list = json::array();
    ++summaries[""][error ? "error" : "warn"];
    list.push_back({{"source", "clausegate"},
                    {"policy", "clausegate-input"},
                    {"rule", error ? "readable" : "well-formed"},
                    {"result", error ? "error" : "warn"},
                    {"scored", false},
                    {"message", p.issue.ToString()},
                    {"timestamp", {{"seconds", timestamp_seconds}, {"nanos", 0}}},
                    {"properties",
                     {{"file", p.issue.file},
                      {"line", std::to_string(p.issue.position.line)},
                      {"column", std::to_string(p.issue.position.column)}}}});
  }
  for (const auto& r : results) {
    const std::string& ns = r.object.namespace_name;
    json& list = reports[ns];
    if (list.is_null()) list = json::array();
    auto& sum = summaries[ns];
    for (const auto& rr : r.decision.results) {
      std::string verdict = Verdict(rr);
      std::string result = verdict == "PASS" ? "pass" : verdict == "DENY" ? "fail" : verdict == "WARN" ? "warn"
                           : verdict == "IGNORED" ? "error" : "skip";
      if (verdict == "AUDIT") result = "warn";
      ++sum[result];
      std::string ids;
      for (const auto& c : Clauses(rr)) ids += (ids.empty() ? "" : ",") + c.id;
      json resource = {{"apiVersion", r.object.api_version}, {"kind", r.object.kind}, {"name", r.object.name}};
      if (!ns.empty()) resource["namespace"] = ns;
      json entry = {{"source", "clausegate"},
                    {"policy", rr.policy->name},
                    {"rule", rr.rule ? rr.rule->name : "matchConditions"},
                    {"result", result},
                    {"severity", policy::ToString(rr.policy->severity)},
                    {"scored", true},
                    {"category", engine::RenderClauses(Clauses(rr))},
                    {"timestamp", {{"seconds", timestamp_seconds}, {"nanos", 0}}},
                    {"resources", json::array({resource})},
                    {"properties", {{"controls", ids}}}};
      if (!rr.message.empty()) entry["message"] = rr.message;
      list.push_back(std::move(entry));
    }
  }
  bool first = true;
  for (auto& [ns, list] : reports) {
    auto& sum = summaries[ns];
    json report = {{"apiVersion", "wgpolicyk8s.io/v1alpha2"},
                   {"kind", ns.empty() ? "ClusterPolicyReport" : "PolicyReport"},
                   {"metadata", ns.empty() ? json{{"name", "clausegate-cluster"}}
                                           : json{{"name", "clausegate-" + ns}, {"namespace", ns}}},
                   {"summary", {{"pass", sum["pass"]}, {"fail", sum["fail"]}, {"warn", sum["warn"]},
                                {"error", sum["error"]}, {"skip", sum["skip"]}}},
                   {"results", list}};
    // JSON is valid YAML; one document per report.
    if (!first) out << "---\n";
    first = false;
    out << report.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  }
}

}  // namespace clausegate::report
