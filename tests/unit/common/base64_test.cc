#include "common/base64.h"

#include <catch2/catch.hpp>

namespace clausegate {
namespace {

TEST_CASE("base64: both alphabets, with or without padding", "[common]") {
  CHECK(Base64Encode(std::string("\x00\xff", 2)) == "AP8=");
  CHECK(Base64Encode("ab") == "YWI=");
  CHECK(Base64Encode("abc") == "YWJj");
  CHECK(Base64Encode("") == "");
  CHECK(*Base64Decode("AP8=") == std::string("\x00\xff", 2));
  CHECK(*Base64Decode("AP8") == std::string("\x00\xff", 2));
  CHECK(*Base64Decode("-_8=") == std::string("\xfb\xff", 2));
  CHECK_FALSE(Base64Decode("a*b").has_value());
}

}  // namespace
}  // namespace clausegate
