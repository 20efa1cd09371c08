// libFuzzer target: arbitrary text as a policy file and as a manifest stream.
// Loading must end in policies or issues, never in a crash or a hang.

#include <cstddef>
#include <cstdint>
#include <string>

#include "json/yaml.h"
#include "policy/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)clausegate::policy::LoadPolicies({{"fuzz.yaml", text}});
  clausegate::json::Decoder decoder;
  (void)clausegate::json::DecodeYamlStream(text, "fuzz.yaml", decoder);
  return 0;
}
