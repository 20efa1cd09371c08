#include "report/controls_matrix.h"

#include <algorithm>
#include <ostream>

#include <nlohmann/json.hpp>

namespace clausegate::report {
namespace {

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Md(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string Joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

std::vector<MatrixRow> BuildMatrix(const std::vector<policy::Catalogue>& catalogues,
                                   const std::vector<policy::Policy>& policies) {
  std::vector<MatrixRow> rows;
  for (const auto& cat : catalogues) {
    for (const auto& ctl : cat.controls) {
      MatrixRow row{&cat, &ctl, {}};
      std::string id = cat.prefix + ":" + ctl.id;
      for (const auto& p : policies) {
        for (const auto& v : p.validations) {
          bool cites = std::any_of(v.controls.begin(), v.controls.end(), [&](const policy::ClauseRef& c) { return c.id == id; });
          if (cites) row.rules.push_back(p.name + "/" + v.name);
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

bool WriteMatrix(std::ostream& out, const std::vector<MatrixRow>& all, const std::string& format, bool uncovered_only) {
  std::vector<const MatrixRow*> rows;
  for (const auto& r : all) {
    if (uncovered_only && !(r.control->enforcement == policy::Enforcement::kEnforceable && r.rules.empty())) continue;
    rows.push_back(&r);
  }
  auto clause = [](const MatrixRow& r) { return r.catalogue->standard + " " + r.control->id; };
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const MatrixRow* r : rows) {
      list.push_back({{"id", r->catalogue->prefix + ":" + r->control->id},
                      {"clause", clause(*r)},
                      {"title", r->control->title},
                      {"domain", r->control->domain},
                      {"enforcement", policy::ToString(r->control->enforcement)},
                      {"rationale", r->control->rationale},
                      {"rules", r->rules}});
    }
    out << nlohmann::json{{"controls", list}}.dump(2) << "\n";
    return true;
  }
  if (format == "csv") {
    out << "clause,title,domain,enforcement,rules\n";
    for (const MatrixRow* r : rows) {
      out << Csv(clause(*r)) << "," << Csv(r->control->title) << "," << Csv(r->control->domain) << ","
          << policy::ToString(r->control->enforcement) << "," << Csv(Joined(r->rules, "; ")) << "\n";
    }
    return true;
  }
  if (format == "markdown") {
    out << "| Clause | Title | Enforcement | Rules |\n| --- | --- | --- | --- |\n";
    for (const MatrixRow* r : rows) {
      out << "| " << Md(clause(*r)) << " | " << Md(r->control->title) << " | " << policy::ToString(r->control->enforcement)
          << " | " << (r->rules.empty() ? "—" : Md(Joined(r->rules, "<br>"))) << " |\n";
    }
    return true;
  }
  if (format != "text") return false;
  size_t wc = 6, wt = 5;
  for (const MatrixRow* r : rows) {
    wc = std::max(wc, clause(*r).size());
    wt = std::min<size_t>(std::max(wt, r->control->title.size()), 60);
  }
  auto pad = [](std::string s, size_t w) {
    if (s.size() > w) s = s.substr(0, w - 1) + "~";
    return s + std::string(w - s.size() + 2, ' ');
  };
  // --uncovered with nothing to list prints nothing (the command says so on stderr).
  if (uncovered_only && rows.empty()) return true;
  out << pad("CLAUSE", wc) << pad("TITLE", wt) << pad("ENFORCEMENT", 14) << "RULES\n";
  size_t covered = 0, enforceable = 0;
  for (const MatrixRow* r : rows) {
    out << pad(clause(*r), wc) << pad(r->control->title, wt) << pad(policy::ToString(r->control->enforcement), 14)
        << (r->rules.empty() ? "-" : Joined(r->rules, ", ")) << "\n";
  }
  for (const auto& r : all) {
    if (r.control->enforcement == policy::Enforcement::kEnforceable) {
      ++enforceable;
      covered += !r.rules.empty();
    }
  }
  if (!uncovered_only) out << "\n" << covered << " of " << enforceable << " enforceable clauses have at least one rule\n";
  return true;
}

}  // namespace clausegate::report
