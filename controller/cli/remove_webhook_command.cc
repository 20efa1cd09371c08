#include "cli/remove_webhook_command.h"

#include <ostream>

#include "kube/kube_client.h"
#include "cli/args.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate remove-webhook NAME [--kubeconfig FILE]\n"
    "  Deletes the ValidatingWebhookConfiguration NAME. Credentials: --kubeconfig, or in a Pod\n"
    "  the service-account mount and KUBERNETES_SERVICE_HOST/PORT.\n";

}  // namespace

int RunRemoveWebhookCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::string kubeconfig;
  std::vector<std::string> names;
  Args parser("remove-webhook");
  parser.Value({"--kubeconfig"}, &kubeconfig).Positional(&names, 1);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  std::string name = names.empty() ? "" : names[0];
  if (name.empty()) {
    err << "clausegate remove-webhook: name the ValidatingWebhookConfiguration\n" << kUsage;
    return 2;
  }
  std::string why;
  auto config = kubeconfig.empty() ? kube::KubeConfig::FromServiceAccount(&why)
                                   : kube::KubeConfig::FromKubeconfig(kubeconfig, &why);
  if (!config) {
    err << "clausegate remove-webhook: no cluster credentials: " << why << "\n";
    return 2;
  }
  Status s = kube::RemoveWebhookConfiguration(*config, name);
  if (!s.ok()) {
    err << "clausegate remove-webhook: " << name << ": " << s.message() << "\n";
    return 1;
  }
  out << "validatingwebhookconfiguration " << name << " removed\n";
  return 0;
}

}  // namespace clausegate::cli
