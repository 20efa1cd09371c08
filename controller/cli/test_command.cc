#include "cli/test_command.h"

#include <algorithm>
#include <map>
#include <optional>
#include <filesystem>
#include <set>
#include <ostream>

#include <yaml-cpp/yaml.h>

#include "inputs/manifests.h"
#include "json/yaml.h"
#include "policy/loader.h"
#include "cli/args.h"
#include "cli/load_options.h"

namespace clausegate::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: clausegate test -p POLICIES... [-l SELECTOR] [--require-coverage] [SUITE...]\n"
    "  Runs PolicyTest suites (files or directories; default: the -p paths) against the policies\n"
    "  and prints a table of expected and actual results.\n"
    "  --require-coverage  also fail unless every rule of every policy meets at least one\n"
    "                      compliant and one violating resource in the suites\n";

struct Expectation {
  std::string policy, rule, result;
  std::vector<std::string> resources;  // Kind/namespace/name, Kind/name or name
  std::map<std::string, std::string> audit_annotations;  // key (without "<policy>.") -> value; "" = absent
  SourcePosition position;
};

struct Suite {
  std::string name, file;
  std::vector<std::string> resources, old_resources;
  std::vector<std::string> exceptions;  // files of CompliancePolicyExceptions for this suite only
  inputs::RequestDefaults defaults;
  std::vector<Expectation> expectations;
};

SourcePosition Pos(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  return m.line < 0 ? SourcePosition{} : SourcePosition{static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n.IsDefined()) return out;
  if (n.IsSequence()) {
    for (const auto& e : n) {
      if (e.IsScalar()) out.push_back(e.Scalar());
    }
  } else if (n.IsScalar()) {
    out.push_back(n.Scalar());
  }
  return out;
}

// Reads the PolicyTest documents of one file; problems go to `issues`.
void ReadSuites(const policy::SourceFile& src, std::vector<Suite>* suites, std::vector<Issue>* issues) {
  json::YamlDocuments loaded = json::LoadYamlDocuments(src.text, src.path);
  if (loaded.error) {
    issues->push_back(*loaded.error);
    return;
  }
  std::vector<YAML::Node>& docs = loaded.nodes;
  fs::path dir = fs::path(src.path).parent_path();
  auto rel = [&](const std::string& p) { return p == "-" || fs::path(p).is_absolute() ? p : (dir / p).string(); };
  for (YAML::Node d : docs) {  // non-const: a missing key is then an undefined node, not an invalid one
    try {
      if (!d.IsMap() || !d["kind"].IsScalar() || d["kind"].Scalar() != "PolicyTest") continue;
      Suite s;
      s.file = src.path;
      s.name = d["metadata"]["name"].IsScalar() ? d["metadata"]["name"].Scalar() : fs::path(src.path).filename().string();
      YAML::Node spec = d["spec"];
      if (!spec.IsMap()) {
        issues->push_back({src.path, Pos(d), "PolicyTest: missing spec"});
        continue;
      }
      static const std::set<std::string> kFields = {"resources", "oldResources", "exceptions", "operation",
                                                    "userInfo", "namespaceLabels", "namespace", "now", "results"};
      for (const auto& kv : spec) {
        if (!kFields.count(kv.first.Scalar())) issues->push_back({src.path, Pos(kv.first), "unknown field \"spec." + kv.first.Scalar() + "\""});
      }
      for (const auto& r : Strings(spec["resources"])) s.resources.push_back(rel(r));
      for (const auto& r : Strings(spec["oldResources"])) s.old_resources.push_back(rel(r));
      for (const auto& r : Strings(spec["exceptions"])) s.exceptions.push_back(rel(r));
      if (s.resources.empty()) issues->push_back({src.path, Pos(spec), "spec.resources: name at least one file of resources"});
      if (spec["operation"].IsScalar()) s.defaults.operation = spec["operation"].Scalar();
      if (s.defaults.operation != "CREATE" && s.defaults.operation != "UPDATE" && s.defaults.operation != "DELETE") {
        issues->push_back({src.path, Pos(spec["operation"]), "spec.operation: must be CREATE, UPDATE or DELETE"});
      }
      if (spec["namespace"].IsScalar()) s.defaults.default_namespace = spec["namespace"].Scalar();
      if (spec["userInfo"].IsMap()) {
        if (spec["userInfo"]["username"].IsScalar()) s.defaults.username = spec["userInfo"]["username"].Scalar();
        s.defaults.groups = Strings(spec["userInfo"]["groups"]);
      }
      if (spec["namespaceLabels"].IsMap()) {
        for (const auto& ns : spec["namespaceLabels"]) {
          auto& labels = s.defaults.namespace_labels[ns.first.Scalar()];
          if (!ns.second.IsMap()) continue;
          for (const auto& kv : ns.second) labels[kv.first.Scalar()] = kv.second.IsScalar() ? kv.second.Scalar() : "";
        }
      }
      std::string now = spec["now"].IsScalar() ? spec["now"].Scalar() : "2026-01-01T00:00:00Z";
      auto ts = clausegate::ParseTimestamp(now);
      if (!ts) issues->push_back({src.path, Pos(spec["now"]), "spec.now: not an RFC 3339 timestamp"});
      s.defaults.now = ts.value_or(clausegate::Timestamp{});
      YAML::Node results = spec["results"];
      if (!results.IsSequence() || results.size() == 0) {
        issues->push_back({src.path, Pos(spec), "spec.results: list the expected results"});
      } else {
        for (YAML::Node r : results) {
          Expectation e;
          e.position = Pos(r);
          e.policy = r["policy"].IsScalar() ? r["policy"].Scalar() : "";
          e.rule = r["rule"].IsScalar() ? r["rule"].Scalar() : "";
          e.result = r["result"].IsScalar() ? r["result"].Scalar() : "";
          e.resources = Strings(r["resources"]);
          if (r["auditAnnotations"].IsMap()) {
            for (const auto& kv : r["auditAnnotations"]) {
              e.audit_annotations[kv.first.Scalar()] = kv.second.IsScalar() ? kv.second.Scalar() : "";
            }
          }
          if (e.policy.empty()) issues->push_back({src.path, e.position, "results: policy is required"});
          if (e.resources.empty()) issues->push_back({src.path, e.position, "results: resources is required"});
          if (e.result != "pass" && e.result != "fail" && e.result != "warn" && e.result != "skip" &&
              e.result != "excepted") {
            issues->push_back({src.path, e.position, "results: result must be pass, fail, warn, excepted or skip"});
          }
          s.expectations.push_back(std::move(e));
        }
      }
      suites->push_back(std::move(s));
    } catch (const YAML::Exception& e) {
      issues->push_back({src.path, Pos(d), std::string("PolicyTest: ") + e.what()});
    }
  }
}

bool RefMatches(const std::string& ref, const report::ObjectRef& o) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= ref.size(); ++i) {
    if (i == ref.size() || ref[i] == '/') {
      parts.push_back(ref.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() == 1) return parts[0] == o.name;
  if (parts.size() == 2) return parts[0] == o.kind && parts[1] == o.name;
  return parts.size() == 3 && parts[0] == o.kind && parts[1] == o.namespace_name && parts[2] == o.name;
}

// The verdict of a policy (or one rule) on a decision, as a suite writes it.
std::pair<std::string, std::string> Actual(const engine::Decision& d, const std::string& policy, const std::string& rule) {
  std::string result = "skip", message;
  int rank = 0;  // skip < pass < excepted < warn < fail
  for (const auto& r : d.results) {
    if (r.policy->name != policy || (!rule.empty() && (!r.rule || r.rule->name != rule))) continue;
    std::string v;
    int k;
    switch (r.outcome) {
      case engine::Outcome::kPass: v = "pass", k = 1; break;
      case engine::Outcome::kExcepted: v = "excepted", k = 2; break;
      case engine::Outcome::kError: v = "fail", k = 4; break;
      case engine::Outcome::kFail:
        if (r.action == policy::Action::kDeny) v = "fail", k = 4;
        else v = "warn", k = 3;
        break;
      default: v = "skip", k = 0; break;
    }
    if (k > rank) {
      rank = k;
      result = v;
      message = r.exception ? "exception " + r.exception->DisplayName() : r.message;
    }
  }
  return {result, message};
}

}  // namespace

int RunTestCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err) {
  std::vector<std::string> policy_paths, suite_paths;
  std::string selector_text;
  LoadFlags load_flags;
  bool require_coverage = false;
  Args parser("test");
  parser.Values({"-p", "--policies"}, &policy_paths)
      .Value({"-l", "--selector"}, &selector_text)
      .Switch({"--require-coverage"}, &require_coverage)
      .Positional(&suite_paths, SIZE_MAX);
  load_flags.Declare(parser);
  const std::string usage = std::string(kUsage) + std::string(kLoadOptionsUsage);
  if (auto exit = parser.ParseOrExit(args, out, err, usage)) return *exit;
  if (policy_paths.empty()) {
    err << "clausegate test: no policies given (-p)\n" << usage;
    return 2;
  }
  if (suite_paths.empty()) suite_paths = policy_paths;
  std::string sel_error;
  auto selector = policy::ParseLabelSelector(selector_text, &sel_error);
  if (!selector) {
    err << "clausegate test: " << sel_error << "\n";
    return 2;
  }
  auto load_options = ReadLoadOptions("test", load_flags, err);
  if (!load_options) return 2;
  policy::LoadResult loaded = policy::LoadPolicyPaths(policy_paths, *load_options);
  std::vector<Issue> issues = loaded.issues;
  std::vector<Suite> suites;
  for (const auto& f : policy::ReadPolicyFiles(suite_paths, &issues)) ReadSuites(f, &suites, &issues);
  if (suites.empty() && issues.empty()) issues.push_back({"", {}, "no PolicyTest suites found"});
  if (!issues.empty()) {
    for (const auto& i : issues) err << i.ToString() << "\n";
    return 2;
  }
  policy::KeepSelected(&loaded, *selector);
  engine::PolicySet shared(std::move(loaded.policies), std::move(loaded.exceptions));

  struct Row {
    std::string suite, policy, rule, resource, expected, actual, message;
    bool ok;
  };
  std::vector<Row> rows;
  // policy/rule -> {seen compliant, seen violating}, over every resource of every suite.
  std::map<std::string, std::pair<bool, bool>> coverage;
  for (const auto& p : shared.policies()) {
    for (const auto& v : p.validations) coverage[p.name + "/" + v.name];
  }
  bool broken = false;
  for (const Suite& s : suites) {
    // A suite with its own exceptions gets a policy set of its own.
    // The policies compiled once above, with the suite's exceptions added.
    std::optional<engine::PolicySet> own;
    if (!s.exceptions.empty()) {
      policy::LoadResult extra = policy::LoadPolicyPaths(s.exceptions);
      for (const auto& p : extra.policies) {
        extra.issues.push_back({p.origin.file, p.origin.position,
                                "a suite's exceptions files hold CompliancePolicyExceptions, not policies"});
      }
      if (!extra.issues.empty()) {
        for (const auto& i : extra.issues) err << i.ToString() << "\n";
        broken = true;
        continue;
      }
      std::vector<policy::PolicyException> exceptions = shared.exceptions();
      exceptions.insert(exceptions.end(), extra.exceptions.begin(), extra.exceptions.end());
      own.emplace(shared.policies(), std::move(exceptions));
    }
    const engine::PolicySet& set = own ? *own : shared;
    inputs::ManifestReader reader(in);
    std::vector<report::InputProblem> problems;
    std::vector<inputs::Item> items = reader.ReadAll(s.resources, &problems);
    std::vector<inputs::Item> olds = reader.ReadAll(s.old_resources, &problems);
    bool unreadable = false;
    for (const auto& p : problems) {
      err << report::ProblemLine(p) << "\n";
      unreadable |= p.severity == report::InputProblem::Severity::kError;
    }
    if (unreadable) {
      broken = true;
      continue;
    }
    auto prepared = inputs::PrepareInputs(items, olds, s.defaults);
    std::vector<std::pair<report::ObjectRef, engine::Decision>> decisions;
    for (const auto& p : prepared) decisions.emplace_back(p.ref, set.Evaluate(p.input));
    for (const auto& [ref, d] : decisions) {
      for (const auto& r : d.results) {
        if (!r.rule) continue;
        auto it = coverage.find(r.policy->name + "/" + r.rule->name);
        if (it == coverage.end()) continue;
        if (r.outcome == engine::Outcome::kPass) it->second.first = true;
        if (r.outcome == engine::Outcome::kFail || r.outcome == engine::Outcome::kExcepted) it->second.second = true;
      }
    }
    for (const Expectation& e : s.expectations) {
      bool known_policy = std::any_of(set.policies().begin(), set.policies().end(), [&](const policy::Policy& p) {
        if (p.name != e.policy) return false;
        return e.rule.empty() || std::any_of(p.validations.begin(), p.validations.end(),
                                             [&](const policy::Validation& v) { return v.name == e.rule; });
      });
      if (!known_policy) {
        err << Issue{s.file, e.position, "no policy \"" + e.policy + (e.rule.empty() ? "" : "/" + e.rule) + "\" among the loaded policies"}.ToString() << "\n";
        broken = true;
        continue;
      }
      for (const std::string& ref : e.resources) {
        auto it = std::find_if(decisions.begin(), decisions.end(), [&](const auto& d) { return RefMatches(ref, d.first); });
        if (it == decisions.end()) {
          err << Issue{s.file, e.position, "no resource \"" + ref + "\" in the suite's resources"}.ToString() << "\n";
          broken = true;
          continue;
        }
        auto [actual, message] = Actual(it->second, e.policy, e.rule);
        rows.push_back({s.name, e.policy, e.rule.empty() ? "*" : e.rule, ref, e.result, actual, message, actual == e.result});
        // The values the policy records in the audit log ("" expects none).
        for (const auto& [key, want] : e.audit_annotations) {
          const auto& got_map = it->second.audit_annotations;
          auto got = got_map.find(e.policy + "." + key);
          std::string have = got == got_map.end() ? "" : got->second;
          rows.push_back({s.name, e.policy, "audit:" + key, ref, want.empty() ? "(none)" : want,
                          have.empty() ? "(none)" : have, "", have == want});
        }
      }
    }
  }
  if (broken) return 2;

  size_t failed = 0;
  std::vector<std::string> headers = {"#", "SUITE", "POLICY", "RULE", "RESOURCE", "EXPECTED", "ACTUAL", "RESULT"};
  std::vector<std::vector<std::string>> table;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    failed += !r.ok;
    table.push_back({std::to_string(i + 1), r.suite, r.policy, r.rule, r.resource, r.expected, r.actual, r.ok ? "ok" : "MISMATCH"});
  }
  std::vector<size_t> widths(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    widths[c] = headers[c].size();
    for (const auto& row : table) widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) out << cells[c] << std::string(widths[c] - cells[c].size() + 2, ' ');
    out << "\n";
  };
  line(headers);
  for (const auto& row : table) line(row);
  for (const Row& r : rows) {
    if (r.ok) continue;
    out << "\nMISMATCH " << r.suite << ": " << r.policy << "/" << r.rule << " on " << r.resource << ": expected " << r.expected
        << ", got " << r.actual << (r.message.empty() ? "" : " (" + r.message + ")") << "\n";
  }
  out << "\n" << (rows.size() - failed) << " passed, " << failed << " failed\n";
  if (require_coverage) {
    size_t uncovered = 0;
    for (const auto& [rule, seen] : coverage) {
      if (seen.first && seen.second) continue;
      ++uncovered;
      out << "UNCOVERED " << rule << ": no " << (seen.first ? "violating" : seen.second ? "compliant" : "compliant or violating")
          << " resource in the suites\n";
    }
    out << (coverage.size() - uncovered) << " of " << coverage.size() << " rules met a compliant and a violating resource\n";
    if (uncovered) return 1;
  }
  return failed ? 1 : 0;
}

}  // namespace clausegate::cli
