#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate lint -p POLICIES [-l SELECTOR] [--now RFC3339]`: 0 when every policy
// compiles, 2 with every problem as FILE:LINE:COL: message.
int RunLintCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
