#include "cli/load_options.h"

#include <charconv>
#include <ostream>

namespace clausegate::cli {

std::optional<policy::LoadOptions> ReadLoadOptions(std::string_view command, const std::string& max_estimated_cost,
                                                   std::ostream& err) {
  policy::LoadOptions options;
  if (max_estimated_cost.empty()) return options;
  uint64_t n = 0;
  const char* end = max_estimated_cost.data() + max_estimated_cost.size();
  auto [ptr, ec] = std::from_chars(max_estimated_cost.data(), end, n);
  if (ec != std::errc() || ptr != end) {
    err << "clausegate " << command << ": --max-estimated-cost \"" << max_estimated_cost
        << "\" is not a whole number (0 to 18446744073709551615)\n";
    return std::nullopt;
  }
  options.max_estimated_cost = n;
  return options;
}

}  // namespace clausegate::cli
