#include "cli/lint_command.h"

#include <chrono>
#include <ostream>

#include "policy/loader.h"
#include "cli/args.h"
#include "cli/load_options.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate lint -p POLICIES... [-l SELECTOR] [--now RFC3339] [--costs] [--max-estimated-cost N]\n"
    "  Validates and compiles policies, exceptions and control catalogues.\n"
    "  -p, --policies  policy files or directories (repeatable; *.yaml, *.yml, recursive)\n"
    "  -l, --selector  only policies whose labels match (kubectl label-selector syntax)\n"
    "  --now           the time that exception expiry is judged against (default: now)\n"
    "  --costs         every expression's estimated cost, as Kubernetes estimates it (cel-go's estimator\n"
    "                  with Kubernetes' function costs, objects up to the 3 MiB request size); the API\n"
    "                  server cancels an evaluation whose actual cost passes 1,000,000\n";

// "1,234,567"
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void PrintCosts(const policy::Policy& p, std::ostream& out) {
  constexpr uint64_t kPerCallLimit = 1'000'000;
  for (const policy::NamedExpression* e : policy::ExpressionsOf(p)) {
    Issue line{e->origin.file, e->origin.position, ""};
    const auto& c = e->estimated_cost;
    line.message = "cost: policy \"" + p.name + "\" " + e->field + ": estimated cost ";
    if (c.saturated()) {
      line.message += "unbounded (past 2^64: it reads a size nothing bounds, such as what `.?` or orValue() yields, or loops within loops)";
    } else {
      line.message += Grouped(c.max);
      if (c.max > kPerCallLimit) line.message += " (above the per-call limit of 1,000,000 on the largest objects)";
    }
    out << line.ToString() << "\n";
  }
}

}  // namespace

int RunLintCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> paths;
  std::string selector_text, now_text;
  LoadFlags load_flags;
  bool costs = false;
  Args parser("lint");
  parser.Values({"-p", "--policies"}, &paths)
      .Value({"-l", "--selector"}, &selector_text)
      .Value({"--now"}, &now_text)
      .Switch({"--costs"}, &costs);
  load_flags.Declare(parser);
  const std::string usage = std::string(kUsage) + std::string(kLoadOptionsUsage);
  if (auto exit = parser.ParseOrExit(args, out, err, usage)) return *exit;
  auto load_options = ReadLoadOptions("lint", load_flags, err);
  if (!load_options) return 2;
  if (paths.empty()) {
    err << "clausegate lint: no policies given (-p)\n" << usage;
    return 2;
  }
  std::string sel_error;
  auto selector = policy::ParseLabelSelector(selector_text, &sel_error);
  if (!selector) {
    err << "clausegate lint: " << sel_error << "\n";
    return 2;
  }
  clausegate::Timestamp now;
  if (!now_text.empty()) {
    auto t = clausegate::ParseTimestamp(now_text);
    if (!t) {
      err << "clausegate lint: --now \"" << now_text << "\" is not an RFC 3339 timestamp\n";
      return 2;
    }
    now = *t;
  } else {
    auto since = std::chrono::system_clock::now().time_since_epoch();
    now.seconds = std::chrono::duration_cast<std::chrono::seconds>(since).count();
  }

  policy::LoadResult loaded = policy::LoadPolicyPaths(paths, *load_options);
  for (const Issue& i : loaded.issues) err << i.ToString() << "\n";
  if (!loaded.ok()) {
    err << loaded.issues.size() << (loaded.issues.size() == 1 ? " problem" : " problems") << "; the policy set is rejected\n";
    return 2;
  }
  size_t selected = 0;
  for (const auto& p : loaded.policies) {
    if (!selector->Matches(p.labels)) continue;
    ++selected;
    if (costs) PrintCosts(p, out);
    if (p.cel_environment == cel::checker::Profile::kKubernetes) continue;
    // An opt-in to clausegate's CEL extras: say whether it costs the policy its
    // portability to a ValidatingAdmissionPolicy, and where.
    Issue note{p.origin.file, p.origin.position, ""};
    if (p.not_vap.empty()) {
      note.message = "note: policy \"" + p.name + "\" uses spec.celEnvironment: " +
                     std::string(cel::checker::ProfileName(p.cel_environment)) +
                     ", but every expression would also run as a ValidatingAdmissionPolicy (Kubernetes 1.37)";
      out << note.ToString() << "\n";
    } else {
      note.message = "warning: policy \"" + p.name + "\" would not run as a ValidatingAdmissionPolicy (Kubernetes 1.37): " +
                     std::to_string(p.not_vap.size()) + (p.not_vap.size() == 1 ? " expression uses" : " expressions use") +
                     " spec.celEnvironment: " + std::string(cel::checker::ProfileName(p.cel_environment));
      out << note.ToString() << "\n";
      for (const Issue& i : p.not_vap) {
        Issue w = i;
        w.message = "warning: " + i.message;
        out << w.ToString() << "\n";
      }
    }
  }
  for (const auto& ex : loaded.exceptions) {
    Issue note{ex.origin.file, ex.origin.position, ""};
    for (const auto& why : ex.incomplete) {
      note.message = "warning: exception \"" + ex.name + "\" has no effect: it " + why;
      out << note.ToString() << "\n";
    }
    if (ex.expires && clausegate::CompareTimestamps(*ex.expires, now) <= 0) {
      note.message = "warning: exception \"" + ex.name + "\" has no effect: it expired at " + clausegate::FormatTimestamp(*ex.expires);
      out << note.ToString() << "\n";
    }
  }
  out << selected << (selected == 1 ? " policy OK" : " policies OK");
  if (!selector_text.empty()) out << " (of " << loaded.policies.size() << " loaded, selected by " << selector_text << ")";
  out << "\n";
  return 0;
}

}  // namespace clausegate::cli
