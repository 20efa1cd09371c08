#include "report/compliance_report.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "report/controls_matrix.h"

namespace clausegate::report {
namespace {

using engine::Outcome;

enum class State { kViolations, kWaived, kEnforced, kNothingJudged, kNoRule, kNotEnforceable };

const char* StateName(State s) {
  switch (s) {
    case State::kViolations: return "violations";
    case State::kWaived: return "waived";
    case State::kEnforced: return "enforced, no violation";
    case State::kNothingJudged: return "enforced, nothing to judge";
    case State::kNoRule: return "no rule";
    case State::kNotEnforceable: return "not enforceable by admission";
  }
  return "";
}

// A stable word for styles and for tools that read the HTML.
const char* StateKey(State s) {
  switch (s) {
    case State::kViolations: return "violations";
    case State::kWaived: return "waived";
    case State::kEnforced: return "enforced";
    case State::kNothingJudged: return "nothing-judged";
    case State::kNoRule: return "no-rule";
    case State::kNotEnforceable: return "not-enforceable";
  }
  return "";
}

struct Listed {
  std::string object, rule, text;
};

struct ControlState {
  const MatrixRow* row = nullptr;
  size_t judged = 0, violating = 0, waived = 0, unevaluated = 0;
  // The object counted last for each count: an object counts once per control.
  size_t judged_at = SIZE_MAX, violating_at = SIZE_MAX, waived_at = SIZE_MAX, unevaluated_at = SIZE_MAX;
  std::vector<Listed> violations, waivers;  // at most kListedPerControl each
  std::vector<const policy::PolicyException*> exceptions;
  State state = State::kNoRule;
};

void CountOnce(size_t object, size_t* at, size_t* count) {
  if (*at == object) return;
  *at = object;
  ++*count;
}

std::string Html(const std::string& s) { return XmlEscape(s); }

std::string Md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

std::string Joined(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

class ComplianceWriter : public CheckWriter {
 public:
  ComplianceWriter(bool html, std::ostream& out, ComplianceContext ctx) : html_(html), out_(out), ctx_(std::move(ctx)) {
    rows_ = BuildMatrix(*ctx_.catalogues, ctx_.set->policies());
    controls_.resize(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      controls_[i].row = &rows_[i];
      for (const auto& rule : rows_[i].rules) by_rule_[rule].push_back(i);
    }
    for (const auto& ex : ctx_.set->exceptions()) {
      std::set<size_t> cited;
      for (const auto& t : ex.targets) {
        for (const auto& p : ctx_.set->policies()) {
          if (p.name != t.policy) continue;
          for (const auto& v : p.validations) {
            if (!t.rules.empty() && std::find(t.rules.begin(), t.rules.end(), v.name) == t.rules.end()) continue;
            auto it = by_rule_.find(p.name + "/" + v.name);
            if (it != by_rule_.end()) cited.insert(it->second.begin(), it->second.end());
          }
        }
      }
      for (size_t i : cited) controls_[i].exceptions.push_back(&ex);
      exceptions_.push_back(&ex);
    }
  }

  void Add(CheckedObject r) override {
    AddToSummary(r, &summary_);
    size_t object = summary_.objects;
    std::string who = Describe(r.object);
    for (const auto& rr : r.decision.results) {
      if (!rr.rule) continue;
      auto it = by_rule_.find(RuleId(rr));
      if (it == by_rule_.end()) continue;
      for (size_t i : it->second) {
        ControlState& c = controls_[i];
        CountOnce(object, &c.judged_at, &c.judged);
        if (rr.outcome == Outcome::kFail || rr.outcome == Outcome::kError) {
          CountOnce(object, &c.violating_at, &c.violating);
          if (c.violations.size() < kListedPerControl) {
            c.violations.push_back({who, RuleId(rr) + " (" + Verdict(rr) + ")", engine::LocatedMessage(rr)});
          }
        } else if (rr.outcome == Outcome::kExcepted) {
          CountOnce(object, &c.waived_at, &c.waived);
          if (c.waivers.size() < kListedPerControl && rr.exception) {
            c.waivers.push_back({who, RuleId(rr),
                                 rr.exception->name + (rr.exception->ticket.empty() ? "" : " (" + rr.exception->ticket + ")")});
          }
        } else if (rr.outcome == Outcome::kIgnored) {
          CountOnce(object, &c.unevaluated_at, &c.unevaluated);
        }
      }
    }
  }

  void Finish() override {
    for (auto& c : controls_) {
      if (c.row->control->enforcement == policy::Enforcement::kOrganisational) c.state = State::kNotEnforceable;
      else if (c.row->rules.empty()) c.state = State::kNoRule;
      else if (c.violating > 0) c.state = State::kViolations;
      else if (c.waived > 0) c.state = State::kWaived;
      else if (c.judged > 0) c.state = State::kEnforced;
      else c.state = State::kNothingJudged;
    }
    if (html_) WriteHtml();
    else WriteMarkdown();
  }

 protected:
  void WriteProblem(const InputProblem&) override {}

 private:
  std::string ExceptionState(const policy::PolicyException& ex) const { return policy::DescribeStateAt(ex, ctx_.now); }
  bool Expired(const policy::PolicyException& ex) const {
    return policy::StateAt(ex, ctx_.now) == policy::ExceptionState::kExpired;
  }
  std::map<State, size_t> StateCounts() const {
    std::map<State, size_t> n;
    for (const auto& c : controls_) ++n[c.state];
    return n;
  }
  std::string Clause(const ControlState& c) const { return c.row->catalogue->standard + " " + c.row->control->id; }
  std::vector<const ControlState*> Ordered() const {
    // Violations first, then waivers, then the rest, each in catalogue order.
    std::vector<const ControlState*> v;
    for (const auto& c : controls_) v.push_back(&c);
    std::stable_sort(v.begin(), v.end(), [](const ControlState* a, const ControlState* b) { return a->state < b->state; });
    return v;
  }

  void WriteMarkdown() {
    std::ostream& o = out_;
    o << "# Compliance report\n\n";
    o << "- Judged: " << ctx_.source << ", " << clausegate::FormatTimestamp(ctx_.now) << "\n";
    o << "- Policy set: " << ctx_.set->policies().size() << " policies, " << ctx_.set->exceptions().size()
      << " exceptions, " << ctx_.digest << "\n";
    o << "- clausegate " << ctx_.version << "\n\n";
    o << "## Summary\n\n| | |\n| --- | ---: |\n";
    o << "| Objects judged | " << summary_.objects << " |\n| Objects denied | " << summary_.denied << " |\n| Warnings | "
      << summary_.warnings << " |\n| Rules waived by an exception | " << summary_.exceptions << " |\n";
    auto counts = StateCounts();
    for (State s : {State::kViolations, State::kWaived, State::kEnforced, State::kNothingJudged, State::kNoRule,
                    State::kNotEnforceable}) {
      o << "| Controls: " << StateName(s) << " | " << counts[s] << " |\n";
    }
    if (!problems_.empty()) {
      o << "\n**Not everything could be judged:**\n\n";
      for (const auto& p : problems_) o << "- " << Md(ProblemLine(p)) << "\n";
    }
    o << "\n## Controls\n\n| Control | Title | State | Violating objects | Waived | Rules |\n"
         "| --- | --- | --- | ---: | ---: | --- |\n";
    for (const ControlState* c : Ordered()) {
      o << "| " << Md(Clause(*c)) << " | " << Md(c->row->control->title) << " | " << StateName(c->state) << " | "
        << c->violating << " | " << c->waived << " | " << Md(Joined(c->row->rules, ", ")) << " |\n";
    }
    o << "\n## Details\n";
    for (const ControlState* c : Ordered()) {
      if (c->violations.empty() && c->waivers.empty() && c->exceptions.empty()) continue;
      o << "\n### " << Clause(*c) << " " << c->row->control->title << "\n\n";
      if (c->violating) {
        o << c->violating << " violating object(s)"
          << (c->violating > c->violations.size() ? ", the first " + std::to_string(c->violations.size()) + " listed" : "")
          << ":\n\n";
        for (const auto& v : c->violations) o << "- " << v.object << ": " << v.rule << ": " << Md(v.text) << "\n";
        o << "\n";
      }
      if (!c->waivers.empty()) {
        o << c->waived << " object(s) waived:\n\n";
        for (const auto& w : c->waivers) o << "- " << w.object << ": " << w.rule << " by " << w.text << "\n";
        o << "\n";
      }
      if (!c->exceptions.empty()) {
        o << "Exceptions:\n\n";
        for (const auto* ex : c->exceptions) {
          o << "- " << ex->DisplayName() << (ex->ticket.empty() ? "" : " (" + ex->ticket + ")") << ": " << ExceptionState(*ex)
            << "; " << Md(ex->justification) << "\n";
        }
      }
    }
    std::vector<const policy::PolicyException*> expired;
    for (const auto* ex : exceptions_) {
      if (Expired(*ex)) expired.push_back(ex);
    }
    o << "\n## Expired exceptions\n\n";
    if (expired.empty()) o << "None.\n";
    for (const auto* ex : expired) {
      o << "- **" << ex->DisplayName() << "**" << (ex->ticket.empty() ? "" : " (" + ex->ticket + ")") << ": "
        << ExceptionState(*ex) << "; " << Md(ex->justification) << "\n";
    }
  }

  void WriteHtml() {
    std::ostream& o = out_;
    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>Compliance report</title>\n<style>\n"
         "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;margin:2em auto;max-width:72em;padding:0 1em}\n"
         "h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #d0d7de}\n"
         "h3{font-size:1.05em;margin:1.2em 0 .4em}table{border-collapse:collapse;width:100%;margin:.5em 0}\n"
         "th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f6f8fa}\n"
         "td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#57606a}\n"
         "td:first-child{white-space:nowrap}.state{font-weight:600;white-space:nowrap}.violations{color:#b42318}.waived{color:#9a6700}\n"
         ".enforced{color:#1a7f37}.nothing-judged{color:#57606a}.no-rule{color:#8250df}.not-enforceable{color:#57606a}\n"
         "code{font:12px ui-monospace,monospace}ul{margin:.3em 0 .6em}.expired{color:#b42318;font-weight:600}\n"
         "table.summary{width:auto}@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}tr{break-inside:avoid}}\n"
         "</style></head><body>\n";
    o << "<h1>Compliance report</h1>\n<p class=\"meta\">Judged: " << Html(ctx_.source) << ", <time>"
      << clausegate::FormatTimestamp(ctx_.now) << "</time><br>Policy set: " << ctx_.set->policies().size() << " policies, "
      << ctx_.set->exceptions().size() << " exceptions, <code id=\"digest\">" << Html(ctx_.digest)
      << "</code><br>clausegate " << Html(ctx_.version) << "</p>\n";
    o << "<h2>Summary</h2>\n<table class=\"summary\">\n";
    auto row = [&](const std::string& label, size_t n, const std::string& key, const std::string& cls = "") {
      o << "<tr><th>" << Html(label) << "</th><td class=\"n" << (cls.empty() ? "" : " " + cls) << "\" data-summary=\"" << key
        << "\">" << n << "</td></tr>\n";
    };
    row("Objects judged", summary_.objects, "objects");
    row("Objects denied", summary_.denied, "denied");
    row("Warnings", summary_.warnings, "warnings");
    row("Rules waived by an exception", summary_.exceptions, "exceptions");
    auto counts = StateCounts();
    for (State s : {State::kViolations, State::kWaived, State::kEnforced, State::kNothingJudged, State::kNoRule,
                    State::kNotEnforceable}) {
      row(std::string("Controls: ") + StateName(s), counts[s], std::string("controls-") + StateKey(s), StateKey(s));
    }
    o << "</table>\n";
    if (!problems_.empty()) {
      o << "<p class=\"expired\">Not everything could be judged:</p><ul class=\"problems\">\n";
      for (const auto& p : problems_) o << "<li data-problem>" << Html(ProblemLine(p)) << "</li>\n";
      o << "</ul>\n";
    }
    o << "<h2>Controls</h2>\n<table class=\"controls\"><thead><tr><th>Control</th><th>Title</th><th>State</th>"
         "<th>Violating objects</th><th>Waived</th><th>Rules</th></tr></thead><tbody>\n";
    for (const ControlState* c : Ordered()) {
      std::string id = c->row->catalogue->prefix + ":" + c->row->control->id;
      o << "<tr data-control=\"" << Html(id) << "\" data-state=\"" << StateKey(c->state) << "\"><td>";
      if (!c->violations.empty() || !c->waivers.empty() || !c->exceptions.empty()) {
        o << "<a href=\"#" << Html(id) << "\">" << Html(Clause(*c)) << "</a>";
      } else {
        o << Html(Clause(*c));
      }
      o << "</td><td>" << Html(c->row->control->title) << "</td><td class=\"state " << StateKey(c->state) << "\">"
        << StateName(c->state) << "</td><td class=\"n\">" << c->violating << "</td><td class=\"n\">" << c->waived
        << "</td><td>";
      for (size_t i = 0; i < c->row->rules.size(); ++i) o << (i ? ", " : "") << "<code>" << Html(c->row->rules[i]) << "</code>";
      o << "</td></tr>\n";
    }
    o << "</tbody></table>\n<h2>Details</h2>\n";
    for (const ControlState* c : Ordered()) {
      if (c->violations.empty() && c->waivers.empty() && c->exceptions.empty()) continue;
      std::string id = c->row->catalogue->prefix + ":" + c->row->control->id;
      o << "<section id=\"" << Html(id) << "\"><h3>" << Html(Clause(*c)) << " " << Html(c->row->control->title)
        << " <span class=\"state " << StateKey(c->state) << "\">" << StateName(c->state) << "</span></h3>\n";
      if (c->violating) {
        o << "<p>" << c->violating << " violating object(s)"
          << (c->violating > c->violations.size() ? ", the first " + std::to_string(c->violations.size()) + " listed" : "")
          << ":</p><ul>\n";
        for (const auto& v : c->violations) {
          o << "<li><strong>" << Html(v.object) << "</strong>: <code>" << Html(v.rule) << "</code>: " << Html(v.text)
            << "</li>\n";
        }
        o << "</ul>\n";
      }
      if (!c->waivers.empty()) {
        o << "<p>" << c->waived << " object(s) waived:</p><ul>\n";
        for (const auto& w : c->waivers) {
          o << "<li><strong>" << Html(w.object) << "</strong>: <code>" << Html(w.rule) << "</code> by " << Html(w.text)
            << "</li>\n";
        }
        o << "</ul>\n";
      }
      if (!c->exceptions.empty()) {
        o << "<p>Exceptions:</p><ul>\n";
        for (const auto* ex : c->exceptions) {
          o << "<li" << (Expired(*ex) ? " class=\"expired\"" : "") << "><strong>" << Html(ex->DisplayName()) << "</strong>"
            << (ex->ticket.empty() ? "" : " (" + Html(ex->ticket) + ")") << ": " << Html(ExceptionState(*ex)) << "; "
            << Html(ex->justification) << "</li>\n";
        }
        o << "</ul>\n";
      }
      o << "</section>\n";
    }
    o << "<h2>Expired exceptions</h2>\n";
    bool any = false;
    for (const auto* ex : exceptions_) {
      if (!Expired(*ex)) continue;
      if (!any) o << "<ul>\n";
      any = true;
      o << "<li class=\"expired\" data-expired=\"" << Html(ex->DisplayName()) << "\"><strong>" << Html(ex->DisplayName()) << "</strong>"
        << (ex->ticket.empty() ? "" : " (" + Html(ex->ticket) + ")") << ": " << Html(ExceptionState(*ex)) << "; "
        << Html(ex->justification) << "</li>\n";
    }
    o << (any ? "</ul>\n" : "<p>None.</p>\n") << "</body></html>\n";
  }

  bool html_;
  std::ostream& out_;
  ComplianceContext ctx_;
  std::vector<MatrixRow> rows_;
  std::vector<ControlState> controls_;
  std::map<std::string, std::vector<size_t>> by_rule_;
  std::vector<const policy::PolicyException*> exceptions_;
};

}  // namespace

std::unique_ptr<CheckWriter> MakeComplianceWriter(const std::string& format, std::ostream& out, ComplianceContext context) {
  if (format != "markdown" && format != "html") return nullptr;
  if (!context.catalogues || !context.set) return nullptr;
  return std::make_unique<ComplianceWriter>(format == "html", out, std::move(context));
}

}  // namespace clausegate::report
