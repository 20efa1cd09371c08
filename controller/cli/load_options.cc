#include "cli/load_options.h"

#include <charconv>
#include <ostream>

namespace clausegate::cli {

void LoadFlags::Declare(Args& args) {
  args.Value({"--max-estimated-cost"}, &max_estimated_cost).Value({"--controller-namespace"}, &controller_namespace);
}

std::optional<policy::LoadOptions> ReadLoadOptions(std::string_view command, const LoadFlags& flags,
                                                   std::ostream& err) {
  policy::LoadOptions options;
  options.controller_namespace = flags.controller_namespace;
  const std::string& cost = flags.max_estimated_cost;
  if (cost.empty()) return options;
  uint64_t n = 0;
  const char* end = cost.data() + cost.size();
  auto [ptr, ec] = std::from_chars(cost.data(), end, n);
  if (ec != std::errc() || ptr != end) {
    err << "clausegate " << command << ": --max-estimated-cost \"" << cost
        << "\" is not a whole number (0 to 18446744073709551615)\n";
    return std::nullopt;
  }
  options.max_estimated_cost = n;
  return options;
}

}  // namespace clausegate::cli
