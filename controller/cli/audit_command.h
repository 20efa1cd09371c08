#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate audit -p POLICIES [--kubeconfig F] ...`: judges the objects in a
// cluster; exit codes as `check`.
int RunAuditCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err, bool stdout_is_tty);

}  // namespace clausegate::cli
