#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace clausegate::cli {

// `clausegate decode [-f FILE]...`: each YAML or JSON document as the JSON object
// Kubernetes' readers make of it (one line per document), with its position; a
// document that cannot be read is a line with its error. Exit 0, or 2 when any
// document could not be read.
int RunDecodeCommand(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace clausegate::cli
