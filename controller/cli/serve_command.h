#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate serve --policies DIR --tls-cert FILE --tls-key FILE ...`: runs the
// webhook until SIGTERM or SIGINT, then drains and exits 0; 2 on a start-up error.
int RunServeCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
