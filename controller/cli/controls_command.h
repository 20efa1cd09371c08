#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate controls -p POLICIES [-l SELECTOR] [-o text|markdown|json|csv] [--uncovered]`
int RunControlsCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
