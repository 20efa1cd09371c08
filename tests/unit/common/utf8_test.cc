#include "common/utf8.h"

#include <random>
#include <string>

#include <catch2/catch.hpp>

namespace clausegate {
namespace {

size_t CountCodePointsByteByByte(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST_CASE("utf8::Length: code points, continuation bytes not counted", "[common]") {
  CHECK(utf8::Length("") == 0);
  CHECK(utf8::Length("a") == 1);
  CHECK(utf8::Length("registry.example.com/app:1.2") == 28);
  CHECK(utf8::Length("\xc3\xa9t\xc3\xa9") == 3);                       // été
  CHECK(utf8::Length("\xf0\x9f\x98\x80\xf0\x9f\x98\x80xyzw") == 6);   // two emoji and four letters, 12 bytes
  CHECK(utf8::Length(std::string(8, '\x80')) == 0);                    // continuation bytes only
}

TEST_CASE("utf8::Length agrees with a byte-by-byte count on every length and alignment", "[common]") {
  std::mt19937 rng(17);
  // Bytes of every class: ASCII, continuation (10xxxxxx), lead bytes, 0xff.
  const unsigned char pool[] = {'a', 'Z', 0x00, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff, 0x40, 0xc0};
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 70, '\0');
    for (auto& c : s) c = static_cast<char>(pool[rng() % sizeof pool]);
    size_t offset = s.empty() ? 0 : rng() % s.size();
    std::string_view v = std::string_view(s).substr(offset);
    INFO("length " << v.size() << ", offset " << offset);
    CHECK(utf8::Length(v) == CountCodePointsByteByByte(v));
  }
}

}  // namespace
}  // namespace clausegate
