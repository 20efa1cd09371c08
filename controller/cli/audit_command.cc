#include "cli/audit_command.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>

#include "audit/cluster_audit.h"
#include "audit/cluster_policies.h"
#include "cli/args.h"
#include "cli/judging.h"
#include "cli/load_options.h"
#include "kube/kube_client.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate audit [-p POLICIES...] [options]\n"
    "  Judges what already runs: every object of every resource the policies match, listed from\n"
    "  the API server page by page, with the engine `check` and `serve` use (as a CREATE of the\n"
    "  object as it stands; namespaces and namespaceObject from the cluster). The policies are\n"
    "  the files' and the cluster's CompliancePolicy and CompliancePolicyException resources,\n"
    "  loaded as `serve` loads them; the text report ends with every exception, in force or not.\n"
    "  -p, --policies PATH        policy files or directories (repeatable)\n"
    "  --no-policy-resources      judge with the files alone\n"
    "  --kubeconfig FILE          the cluster (default: $KUBECONFIG, then the service account in a\n"
    "                             Pod, then ~/.kube/config)\n"
    "  -n, --namespace NS         only objects in NS (cluster-scoped resources are left out)\n"
    "  -l, --selector SELECTOR    only policies whose labels match (kubectl syntax), as in check\n"
    "  --object-selector SELECTOR only objects whose labels match (passed to the API server)\n"
    "  -o, --output FORMAT        text (default), json, junit, sarif, policyreport, or the\n"
    "                             compliance report per control: markdown or html\n"
    "  --page-size N              objects per LIST page (default 500, as kubectl)\n"
    "  --now RFC3339              the evaluation time (default: now)\n"
    "  --fail-on deny|warn        exit 1 on violations of Deny rules (default) or also on warnings\n"
    "  Exit codes as check: 0 nothing violated, 1 violations, 2 a usage or policy error, or a\n"
    "  resource that could not be listed (everything else is still judged).\n";

struct Options {
  std::vector<std::string> policies;
  std::string kubeconfig, namespace_name, selector, object_selector, output = "text", page_size, now,
      fail_on = "deny";
  bool no_policy_resources = false;
  LoadFlags load_flags;
};

std::optional<kube::KubeConfig> Credentials(const std::string& flag, std::string* why) {
  if (!flag.empty()) return kube::KubeConfig::FromKubeconfig(flag, why);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string first(env);
    first = first.substr(0, first.find(':'));  // the first file of a list
    return kube::KubeConfig::FromKubeconfig(first, why);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST")) return kube::KubeConfig::FromServiceAccount(why);
  const char* home = std::getenv("HOME");
  std::string path = std::string(home ? home : "") + "/.kube/config";
  if (home && std::filesystem::exists(path)) return kube::KubeConfig::FromKubeconfig(path, why);
  *why = "no --kubeconfig, no $KUBECONFIG, not in a Pod and no ~/.kube/config";
  return std::nullopt;
}

}  // namespace

int RunAuditCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err, bool stdout_is_tty) {
  Options o;
  Args parser("audit");
  parser.Values({"-p", "--policies"}, &o.policies)
      .Value({"--kubeconfig"}, &o.kubeconfig)
      .Value({"-n", "--namespace"}, &o.namespace_name)
      .Value({"-l", "--selector"}, &o.selector)
      .Value({"--object-selector"}, &o.object_selector)
      .Value({"-o", "--output"}, &o.output)
      .Value({"--page-size"}, &o.page_size)
      .Value({"--now"}, &o.now)
      .Value({"--fail-on"}, &o.fail_on)
      .Switch({"--no-policy-resources"}, &o.no_policy_resources);
  o.load_flags.Declare(parser);
  const std::string usage = std::string(kUsage) + std::string(kLoadOptionsUsage);
  if (auto exit = parser.ParseOrExit(args, out, err, usage)) return *exit;
  if (o.policies.empty() && o.no_policy_resources) {
    err << "clausegate audit: -p POLICIES is needed with --no-policy-resources\n" << usage;
    return 2;
  }
  if (!IsReportFormat("audit", o.output, err) || !IsFailOn("audit", o.fail_on, err)) return 2;
  audit::AuditScope scope;
  scope.object_selector = o.object_selector;
  scope.namespace_name = o.namespace_name;
  if (!o.page_size.empty()) {
    char* end = nullptr;
    long n = std::strtol(o.page_size.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 10000) {
      err << "clausegate audit: --page-size \"" << o.page_size << "\" is not a number from 1 to 10000\n";
      return 2;
    }
    scope.page_size = static_cast<int>(n);
  }
  auto now = ReadNow("audit", o.now, err);
  if (!now) return 2;
  std::string why;
  auto config = Credentials(o.kubeconfig, &why);
  if (!config) {
    err << "clausegate audit: no cluster credentials: " << why << "\n";
    return 2;
  }
  auto client = kube::MakeKubeClient(*config);
  client->set_connection_timeout(10);
  client->set_read_timeout(60);
  MorePoliciesSource cluster_policies;
  if (!o.no_policy_resources) {
    cluster_policies = [&](const policy::LoadOptions& options) -> std::optional<MorePolicies> {
      auto listed = audit::ListClusterPolicies(*client, options);
      if (!listed.ok()) {
        err << "clausegate audit: the cluster's policy resources: " << listed.status().message()
            << " (--no-policy-resources judges with the files alone)\n";
        return std::nullopt;
      }
      for (const auto& r : listed->refused) err << "clausegate audit: left out, as serve leaves it out: " << r << "\n";
      return MorePolicies{std::move(listed->policies), std::move(listed->exceptions), std::move(listed->digest_input)};
    };
  }
  auto judging = LoadJudgingSet("audit", o.policies, o.selector, o.load_flags, err, cluster_policies);
  if (!judging) return 2;

  std::string source = "cluster " + std::string(config->https ? "https://" : "http://") + config->host + ":" +
                       std::to_string(config->port);
  if (!o.namespace_name.empty()) source += ", namespace " + o.namespace_name;
  auto writer = MakeReportWriter(o.output, out, stdout_is_tty, *judging, *now, source);
  bool echo = o.output != "text";
  audit::AuditSink sink;
  std::map<const policy::PolicyException*, size_t> used;
  sink.on_result = [&](report::CheckedObject r) {
    for (const auto& rr : r.decision.results) {
      if (rr.exception) ++used[rr.exception];
    }
    writer->Add(std::move(r));
  };
  sink.on_problem = [&](report::InputProblem p) {
    if (echo) err << report::ProblemLine(p) << "\n";
    writer->AddProblem(std::move(p));
  };
  auto stats = audit::RunAudit(*client, *judging->set, scope, *now, sink);
  if (!stats.ok()) {
    err << "clausegate audit: " << stats.status().message() << "\n";
    return 2;
  }
  writer->Finish();
  if (o.output == "text") report::WriteExceptionList(out, judging->set->exceptions(), *now, used);
  const report::CheckSummary& summary = writer->summary();
  return JudgingExitCode("audit", summary, o.fail_on, summary.input_errors == 1 ? "resource" : "resources", err);
}

}  // namespace clausegate::cli
