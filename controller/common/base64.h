#pragma once
// Base64 (RFC 4648): encoding with padding; decoding accepts the standard and the
// URL-safe alphabet, with or without padding.

#include <optional>
#include <string>
#include <string_view>

namespace clausegate {

std::string Base64Encode(std::string_view bytes);
// nullopt for text that is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace clausegate
