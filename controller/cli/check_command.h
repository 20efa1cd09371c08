#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate check -p POLICIES -f INPUTS ...`: 0 nothing denied, 1 something
// denied (or warned, with --fail-on warn), 2 a usage, policy or input error.
int RunCheckCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err,
                    bool stdout_is_tty);

}  // namespace clausegate::cli
