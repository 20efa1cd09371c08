#include "report/check_report.h"

#include <algorithm>
#include <ostream>

#include <nlohmann/json.hpp>

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

CheckSummary Summarise(const std::vector<CheckedObject>& results) {
  CheckSummary s;
  s.objects = results.size();
  for (const auto& r : results) {
    if (!r.decision.allowed) ++s.denied;
    s.warnings += r.decision.warnings.size();
    for (const auto& rr : r.decision.results) {
      if (rr.outcome == Outcome::kExcepted) ++s.exceptions;
      if (rr.outcome == Outcome::kFail && rr.action == Action::kAudit) ++s.audits;
    }
  }
  return s;
}

void WriteText(std::ostream& out, const std::vector<CheckedObject>& results, bool colour) {
  auto paint = [&](const std::string& verdict) {
    if (!colour) return verdict;
    const char* code = verdict == "DENY" ? "31" : verdict == "WARN" ? "33" : verdict == "PASS" ? "32" : "36";
    return "\033[" + std::string(code) + "m" + verdict + "\033[0m";
  };
  for (const auto& r : results) {
    bool any = std::any_of(r.decision.results.begin(), r.decision.results.end(),
                           [](const engine::RuleResult& rr) { return rr.outcome != Outcome::kPass; });
    if (!any) continue;
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
      if (!rr.subject.empty()) out << rr.subject << ": " << rr.path << ": ";
      out << rr.message;
      if (rr.exception) out << " (waived by exception " << rr.exception->name << ", ticket " << rr.exception->ticket << ")";
      out << "\n";
    }
  }
  CheckSummary s = Summarise(results);
  out << s.objects << (s.objects == 1 ? " object" : " objects") << " checked: " << s.denied << " denied, "
      << s.warnings << (s.warnings == 1 ? " warning" : " warnings") << ", " << s.audits << " audit, " << s.exceptions
      << (s.exceptions == 1 ? " exception used" : " exceptions used") << "\n";
}

void WriteJson(std::ostream& out, const std::vector<CheckedObject>& results) {
  using json = nlohmann::json;
  json objects = json::array();
  for (const auto& r : results) {
    json verdicts = json::array();
    for (const auto& rr : r.decision.results) {
      json controls = json::array();
      for (const auto& c : Clauses(rr)) controls.push_back({{"id", c.id}, {"standard", c.standard}, {"clause", c.clause}});
      json v = {{"policy", rr.policy->name},
                {"rule", rr.rule ? rr.rule->name : "matchConditions"},
                {"verdict", Verdict(rr)},
                {"outcome", engine::ToString(rr.outcome)},
                {"action", policy::ToString(rr.action)},
                {"severity", policy::ToString(rr.policy->severity)},
                {"message", rr.message},
                {"controls", controls}};
      if (!rr.path.empty()) v["path"] = rr.path;
      if (rr.exception) v["exception"] = {{"name", rr.exception->name}, {"ticket", rr.exception->ticket}};
      verdicts.push_back(std::move(v));
    }
    json o = {{"object",
               {{"apiVersion", r.object.api_version},
                {"kind", r.object.kind},
                {"namespace", r.object.namespace_name},
                {"name", r.object.name},
                {"file", r.object.file},
                {"line", r.object.position.line}}},
              {"allowed", r.decision.allowed},
              {"verdicts", verdicts},
              {"warnings", r.decision.warnings},
              {"auditAnnotations", r.decision.audit_annotations}};
    if (!r.decision.allowed) o["message"] = r.decision.message;
    objects.push_back(std::move(o));
  }
  CheckSummary s = Summarise(results);
  json doc = {{"summary",
               {{"objects", s.objects}, {"denied", s.denied}, {"warnings", s.warnings}, {"audits", s.audits},
                {"exceptions", s.exceptions}}},
              {"results", objects}};
  out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace clausegate::report
