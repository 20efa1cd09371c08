#pragma once
// SHA-256, written as "sha256:<hex>": which policy set a report was made with,
// whether a report's content changed.

#include <string>
#include <string_view>

namespace clausegate {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  std::string Hex();  // "sha256:..."; once, at the end

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of the header
};

std::string Sha256Hex(std::string_view data);

}  // namespace clausegate
