#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate remove-webhook NAME [--kubeconfig FILE]`: deletes the named
// ValidatingWebhookConfiguration (the chart's pre-delete hook runs it so that the
// webhook goes before the Deployment). 0 when it is gone (or was), 1 on an API
// error, 2 on a usage error.
int RunRemoveWebhookCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
