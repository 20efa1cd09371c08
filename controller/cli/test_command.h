#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate test -p POLICIES [SUITE...]`: runs PolicyTest suites; 0 when every
// expectation holds, 1 on a mismatch, 2 on a usage, policy or suite error.
int RunTestCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
