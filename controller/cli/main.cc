// clausegate: one binary, one subcommand per job. main only dispatches.

#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/audit_command.h"
#include "cli/cel_command.h"
#include "cli/check_command.h"
#include "cli/controls_command.h"
#include "cli/decode_command.h"
#include "cli/lint_command.h"
#include "cli/remove_webhook_command.h"
#include "cli/serve_command.h"
#include "cli/test_command.h"

namespace {

constexpr const char* kUsage =
    "usage: clausegate COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  serve --policies DIR --tls-cert F --tls-key F  the HTTPS admission webhook\n"
    "  check -p POLICIES -f MANIFESTS [options]     evaluate manifests as admission requests\n"
    "  audit -p POLICIES [--kubeconfig F] [options] judge what runs in a cluster\n"
    "  controls [-p POLICIES] [-o FORMAT] [--uncovered]  the clause-to-rule compliance matrix\n"
    "  lint -p POLICIES [-l SELECTOR]               validate and compile policies\n"
    "  test -p POLICIES [SUITE...]                  run policy test suites\n"
    "  cel EXPR [--bindings JSON|@FILE] [--typed]   evaluate one CEL expression\n"
    "  decode [-f FILE]...                          each YAML document as the JSON Kubernetes makes of it\n"
    "  remove-webhook NAME [--kubeconfig FILE]      delete the webhook configuration (uninstall)\n"
    "  version                                      print the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  std::span<const std::string> rest(args.data() + 1, args.size() - 1);
  if (cmd == "cel") return clausegate::cli::RunCelCommand(rest, std::cout, std::cerr);
  // Reports can be hundreds of megabytes: a single-threaded command's iostreams need not go
  // through stdio's buffer (serve keeps it: its threads share std::cerr, which stdio locks).
  if (cmd == "check" || cmd == "audit" || cmd == "decode") std::ios::sync_with_stdio(false);
  if (cmd == "check") return clausegate::cli::RunCheckCommand(rest, std::cin, std::cout, std::cerr, isatty(1) != 0);
  if (cmd == "audit") return clausegate::cli::RunAuditCommand(rest, std::cout, std::cerr, isatty(1) != 0);
  if (cmd == "controls") return clausegate::cli::RunControlsCommand(rest, std::cout, std::cerr);
  if (cmd == "test") return clausegate::cli::RunTestCommand(rest, std::cin, std::cout, std::cerr);
  if (cmd == "serve") return clausegate::cli::RunServeCommand(rest, std::cout, std::cerr);
  if (cmd == "decode") return clausegate::cli::RunDecodeCommand(rest, std::cin, std::cout, std::cerr);
  if (cmd == "lint") return clausegate::cli::RunLintCommand(rest, std::cout, std::cerr);
  if (cmd == "remove-webhook") return clausegate::cli::RunRemoveWebhookCommand(rest, std::cout, std::cerr);
  if (cmd == "version" || cmd == "--version") {
    std::cout << "clausegate " << CLAUSEGATE_VERSION << "\n";
    return 0;
  }
  std::cerr << "clausegate: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
