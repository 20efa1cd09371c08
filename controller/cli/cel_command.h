#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate cel EXPR [--bindings JSON|@FILE] [--typed]`: exit 0 with the value,
// 1 on an evaluation error, 2 on a usage or syntax error.
int RunCelCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
