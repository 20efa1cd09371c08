#include "cli/check_command.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/judging.h"
#include "cli/load_options.h"
#include "inputs/manifests.h"
#include "engine/engine.h"
#include "policy/loader.h"
#include "report/check_report.h"

namespace clausegate::cli {
namespace {

struct Options {
  std::vector<std::string> policies, inputs, old_inputs, namespace_labels;
  std::string selector, output = "text", operation = "CREATE", user, groups, default_namespace = "default", now,
                        fail_on = "deny", max_document_bytes;
  LoadFlags load_flags;
  bool strict = false;
};

constexpr const char* kUsage =
    "usage: clausegate check -p POLICIES... -f INPUTS... [options]\n"
    "  Evaluates manifests (or captured AdmissionReviews) as admission requests.\n"
    "  -p, --policies PATH        policy files or directories (repeatable)\n"
    "  -f, --filename PATH        manifests: files, directories (*.yaml, *.yml, *.json) or - for\n"
    "                             stdin (repeatable); multi-document YAML, JSON, List objects,\n"
    "                             AdmissionReviews\n"
    "  -l, --selector SELECTOR    only policies whose labels match (kubectl syntax)\n"
    "  -o, --output FORMAT        text (default), json, junit, sarif, policyreport, or the\n"
    "                             compliance report per control: markdown or html\n"
    "  --operation OP             CREATE (default), UPDATE or DELETE\n"
    "  --old PATH                 the objects before the change (UPDATE, DELETE), matched by kind/namespace/name\n"
    "  --user NAME, --groups A,B  the requesting user\n"
    "  --namespace NS             namespace for namespaced objects that name none (default: default)\n"
    "  --namespace-labels NS=k=v,k2=v2   labels of a namespace (repeatable); Namespace objects in\n"
    "                             the input supply them too\n"
    "  --now RFC3339              the evaluation time (default: now)\n"
    "  --fail-on deny|warn        exit 1 on denials (default) or also on warnings\n"
    "  --strict                   input warnings (a mapping key given twice) are errors\n"
    "  --max-document-bytes N     the bound on one object as JSON (default 3145728, the API\n"
    "                             server's); its YAML may be 4x that plus 1 MiB\n"
    "  Input that cannot be read is reported at file:line:col and the rest is still judged;\n"
    "  exit 2 then, whatever was denied.\n";

}  // namespace

int RunCheckCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err,
                    bool stdout_is_tty) {
  Options o;
  Args parser("check");
  parser.Values({"-p", "--policies"}, &o.policies)
      .Values({"-f", "--filename"}, &o.inputs)
      .Values({"--old"}, &o.old_inputs)
      .Values({"--namespace-labels"}, &o.namespace_labels)
      .Value({"-l", "--selector"}, &o.selector)
      .Value({"-o", "--output"}, &o.output)
      .Value({"--operation"}, &o.operation)
      .Value({"--user"}, &o.user)
      .Value({"--groups"}, &o.groups)
      .Value({"--namespace"}, &o.default_namespace)
      .Value({"--now"}, &o.now)
      .Value({"--fail-on"}, &o.fail_on)
      .Value({"--max-document-bytes"}, &o.max_document_bytes)
      .Switch({"--strict"}, &o.strict);
  o.load_flags.Declare(parser);
  const std::string usage = std::string(kUsage) + std::string(kLoadOptionsUsage);
  if (auto exit = parser.ParseOrExit(args, out, err, usage)) return *exit;
  if (o.policies.empty() || o.inputs.empty()) {
    err << "clausegate check: both -p POLICIES and -f INPUTS are needed\n" << usage;
    return 2;
  }
  if (!IsReportFormat("check", o.output, err)) return 2;
  if (o.operation != "CREATE" && o.operation != "UPDATE" && o.operation != "DELETE") {
    err << "clausegate check: --operation must be CREATE, UPDATE or DELETE\n";
    return 2;
  }
  if (!IsFailOn("check", o.fail_on, err)) return 2;
  inputs::ReadOptions read_options;
  if (!o.max_document_bytes.empty()) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(o.max_document_bytes.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || o.max_document_bytes[0] == '-' || n < 1024 || n > (1ULL << 30)) {
      err << "clausegate check: --max-document-bytes \"" << o.max_document_bytes << "\" is not a number from 1024 to "
          << (1ULL << 30) << "\n";
      return 2;
    }
    read_options.max_document_bytes = static_cast<size_t>(n);
  }
  auto now_given = ReadNow("check", o.now, err);
  if (!now_given) return 2;
  clausegate::Timestamp now = *now_given;
  inputs::RequestDefaults defaults;
  defaults.operation = o.operation;
  defaults.username = o.user;
  defaults.default_namespace = o.default_namespace;
  defaults.now = now;
  {
    std::stringstream gs(o.groups);
    std::string g;
    while (std::getline(gs, g, ',')) {
      if (!g.empty()) defaults.groups.push_back(g);
    }
  }
  for (const auto& spec : o.namespace_labels) {
    std::string error;
    if (!inputs::ParseNamespaceLabels(spec, &defaults, &error)) {
      err << "clausegate check: " << error << "\n";
      return 2;
    }
  }

  // Policies: the same loader as lint; any problem rejects the whole set.
  auto judging = LoadJudgingSet("check", o.policies, o.selector, o.load_flags, err);
  if (!judging) return 2;
  const engine::PolicySet* set = judging->set.get();

  auto writer = MakeReportWriter(o.output, out, stdout_is_tty, *judging, now, "manifests");
  // Input problems go into the report; machine formats also show them on stderr,
  // where a CI log has them.
  bool echo = o.output != "text";
  auto problem = [&](report::InputProblem p) {
    if (o.strict) p.severity = report::InputProblem::Severity::kError;
    if (echo) err << report::ProblemLine(p) << "\n";
    writer->AddProblem(std::move(p));
  };
  inputs::ManifestReader reader(in, read_options);
  std::vector<report::InputProblem> old_problems;
  std::vector<inputs::Item> olds = reader.ReadAll(o.old_inputs, &old_problems);
  for (auto& p : old_problems) problem(std::move(p));
  inputs::InputBuilder builder(olds, defaults);
  // Two passes keep memory to one document: the Namespaces first (their labels serve
  // objects anywhere in the input), then every object, judged as it is read.
  reader.ForEachNamespace(o.inputs, [&](inputs::Item&& it) { builder.AddNamespace(it); });
  uint64_t documents = reader.documents_seen();
  bool progress = &err == &std::cerr && documents > 300 && isatty(2) != 0;
  size_t checked = 0;
  reader.ForEach(
      o.inputs,
      [&](inputs::Item&& item) {
        inputs::Prepared p = builder.Build(item);
        writer->Add({std::move(p.ref), set->Evaluate(p.input)});
        if (progress && ++checked % 200 == 0) {
          err << "\rchecked " << checked << " objects (" << reader.documents_seen() << "/" << documents << " documents)"
              << std::flush;
        }
      },
      problem);
  if (progress) err << "\r" << std::string(60, ' ') << "\r";
  writer->Finish();
  const report::CheckSummary& s = writer->summary();
  return JudgingExitCode("check", s, o.fail_on, s.input_errors == 1 ? "input" : "inputs", err);
}

}  // namespace clausegate::cli
