#include "cli/controls_command.h"

#include <ostream>

#include "policy/loader.h"
#include "cli/args.h"
#include "report/controls_matrix.h"

namespace clausegate::cli {
namespace {
constexpr const char* kUsage =
    "usage: clausegate controls [-p POLICIES...] [-l SELECTOR] [-o text|markdown|json|csv] [--uncovered]\n"
    "  Prints the compliance matrix: every clause, how far admission control can enforce it,\n"
    "  and the policy rules that do. --uncovered lists enforceable clauses with no rule (and\n"
    "  exits 1 if there is any).\n";
}  // namespace

int RunControlsCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> paths;
  std::string selector_text, format = "text";
  bool uncovered = false;
  Args parser("controls");
  parser.Values({"-p", "--policies"}, &paths)
      .Value({"-l", "--selector"}, &selector_text)
      .Value({"-o", "--output"}, &format)
      .Switch({"--uncovered"}, &uncovered);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  if (format != "text" && format != "markdown" && format != "json" && format != "csv") {
    err << "clausegate controls: output format \"" << format << "\" is not one of text, markdown, json, csv\n";
    return 2;
  }
  std::string sel_error;
  auto selector = policy::ParseLabelSelector(selector_text, &sel_error);
  if (!selector) {
    err << "clausegate controls: " << sel_error << "\n";
    return 2;
  }
  policy::LoadResult loaded = policy::LoadPolicyPaths(paths);
  if (!loaded.ok()) {
    for (const auto& i : loaded.issues) err << i.ToString() << "\n";
    return 2;
  }
  policy::KeepSelected(&loaded, *selector);
  auto matrix = report::BuildMatrix(loaded.catalogues, loaded.policies);
  report::WriteMatrix(out, matrix, format, uncovered);
  if (!uncovered) return 0;
  // As a CI gate: exit 1 while an enforceable clause has no rule.
  size_t enforceable = 0, missing = 0;
  for (const auto& r : matrix) {
    if (r.control->enforcement != policy::Enforcement::kEnforceable) continue;
    ++enforceable;
    missing += r.rules.empty();
  }
  err << missing << " of " << enforceable << " enforceable clauses have no rule\n";
  return missing ? 1 : 0;
}

}  // namespace clausegate::cli
