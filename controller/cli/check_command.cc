#include "cli/check_command.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "engine/engine.h"
#include "cli/manifests.h"
#include "policy/loader.h"
#include "report/check_report.h"

namespace clausegate::cli {
namespace {

struct Options {
  std::vector<std::string> policies, inputs, old_inputs, namespace_labels;
  std::string selector, output = "text", operation = "CREATE", user, groups, default_namespace = "default", now,
                        fail_on = "deny";
};

constexpr const char* kUsage =
    "usage: clausegate check -p POLICIES... -f INPUTS... [options]\n"
    "  Evaluates manifests (or captured AdmissionReviews) as admission requests.\n"
    "  -p, --policies PATH        policy files or directories (repeatable)\n"
    "  -f, --filename PATH        manifests: files, directories or - for stdin (repeatable);\n"
    "                             multi-document YAML, JSON, List objects, AdmissionReviews\n"
    "  -l, --selector SELECTOR    only policies whose labels match (kubectl syntax)\n"
    "  -o, --output FORMAT        text (default), json, junit, sarif or policyreport\n"
    "  --operation OP             CREATE (default), UPDATE or DELETE\n"
    "  --old PATH                 the objects before the change (UPDATE, DELETE), matched by kind/namespace/name\n"
    "  --user NAME, --groups A,B  the requesting user\n"
    "  --namespace NS             namespace for namespaced objects that name none (default: default)\n"
    "  --namespace-labels NS=k=v,k2=v2   labels of a namespace (repeatable); Namespace objects in\n"
    "                             the input supply them too\n"
    "  --now RFC3339              the evaluation time (default: now)\n"
    "  --fail-on deny|warn        exit 1 on denials (default) or also on warnings\n";

}  // namespace

int RunCheckCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err,
                    bool stdout_is_tty) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&](std::string* into) {
      if (i + 1 >= args.size()) {
        err << "clausegate check: " << a << " needs a value\n" << kUsage;
        return false;
      }
      *into = args[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a == "-p" || a == "--policies") {
      if (!need(&v)) return 2;
      o.policies.push_back(v);
    } else if (a == "-f" || a == "--filename") {
      if (!need(&v)) return 2;
      o.inputs.push_back(v);
    } else if (a == "--old") {
      if (!need(&v)) return 2;
      o.old_inputs.push_back(v);
    } else if (a == "--namespace-labels") {
      if (!need(&v)) return 2;
      o.namespace_labels.push_back(v);
    } else if (a == "-l" || a == "--selector") {
      if (!need(&o.selector)) return 2;
    } else if (a == "-o" || a == "--output") {
      if (!need(&o.output)) return 2;
    } else if (a == "--operation") {
      if (!need(&o.operation)) return 2;
    } else if (a == "--user") {
      if (!need(&o.user)) return 2;
    } else if (a == "--groups") {
      if (!need(&o.groups)) return 2;
    } else if (a == "--namespace") {
      if (!need(&o.default_namespace)) return 2;
    } else if (a == "--now") {
      if (!need(&o.now)) return 2;
    } else if (a == "--fail-on") {
      if (!need(&o.fail_on)) return 2;
    } else {
      err << "clausegate check: unknown argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (o.policies.empty() || o.inputs.empty()) {
    err << "clausegate check: both -p POLICIES and -f INPUTS are needed\n" << kUsage;
    return 2;
  }
  if (o.output != "text" && o.output != "json" && o.output != "junit" && o.output != "sarif" && o.output != "policyreport") {
    err << "clausegate check: output format \"" << o.output << "\" is not one of text, json, junit, sarif, policyreport\n";
    return 2;
  }
  if (o.operation != "CREATE" && o.operation != "UPDATE" && o.operation != "DELETE") {
    err << "clausegate check: --operation must be CREATE, UPDATE or DELETE\n";
    return 2;
  }
  if (o.fail_on != "deny" && o.fail_on != "warn") {
    err << "clausegate check: --fail-on must be deny or warn\n";
    return 2;
  }
  std::string sel_error;
  auto selector = policy::ParseLabelSelector(o.selector, &sel_error);
  if (!selector) {
    err << "clausegate check: " << sel_error << "\n";
    return 2;
  }
  cel::Timestamp now;
  if (!o.now.empty()) {
    auto t = cel::ParseTimestamp(o.now);
    if (!t) {
      err << "clausegate check: --now \"" << o.now << "\" is not an RFC 3339 timestamp\n";
      return 2;
    }
    now = *t;
  } else {
    now.seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  RequestDefaults defaults;
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
    if (!ParseNamespaceLabels(spec, &defaults, &error)) {
      err << "clausegate check: " << error << "\n";
      return 2;
    }
  }

  // Policies: the same loader as lint; any problem rejects the whole set.
  policy::LoadResult loaded = policy::LoadPolicyPaths(o.policies);
  if (!loaded.ok()) {
    for (const auto& i : loaded.issues) err << i.ToString() << "\n";
    err << "clausegate check: the policy set has " << loaded.issues.size() << " problem(s); nothing was checked\n";
    return 2;
  }
  policy::KeepSelected(&loaded, *selector);
  engine::PolicySet set(std::move(loaded.policies), std::move(loaded.exceptions));

  ManifestReader reader(in, err);
  std::vector<Item> items, olds;
  if (!reader.Read(o.inputs, &items) || !reader.Read(o.old_inputs, &olds)) {
    err << "clausegate check: unreadable input; nothing was checked\n";
    return 2;
  }
  auto writer = report::MakeCheckWriter(o.output, out, stdout_is_tty, CLAUSEGATE_VERSION, now.seconds);
  InputBuilder builder(items, olds, defaults);
  bool progress = &err == &std::cerr && items.size() > 300 && isatty(2) != 0;
  for (size_t n = 0; n < items.size(); ++n) {
    Prepared p = builder.Build(items[n]);
    writer->Add({std::move(p.ref), set.Evaluate(p.input)});
    if (progress && (n + 1) % 200 == 0) err << "\rchecked " << (n + 1) << "/" << items.size() << std::flush;
  }
  if (progress) err << "\r" << std::string(40, ' ') << "\r";
  writer->Finish();
  const report::CheckSummary& s = writer->summary();
  if (s.denied > 0) return 1;
  if (o.fail_on == "warn" && s.warnings > 0) return 1;
  return 0;
}

}  // namespace clausegate::cli
