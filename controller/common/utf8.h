#pragma once
// Small UTF-8 helpers: CEL string functions count and index code points.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::utf8 {

inline bool IsValid(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// Number of code points (continuation bytes are not counted). The cost of nearly
// every string operation is priced by it, so it counts eight bytes at a time: a
// continuation byte is the one whose top two bits are 10.
inline size_t Length(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), continuations = 0, i = 0;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, sizeof w);
    // One bit per continuation byte, at the top of its byte; summed by a multiply
    // (no popcount instruction is assumed).
    uint64_t m = (w & ~(w << 1) & kHigh) >> 7;
    continuations += static_cast<size_t>((m * 0x0101010101010101ULL) >> 56);
  }
  if (n >= 8 && i < n) {
    // The last bytes, as the low end of the word that ends the string shifted out.
    uint64_t w;
    std::memcpy(&w, p + n - 8, sizeof w);
    w >>= 8 * (8 - (n - i));
    uint64_t m = (w & ~(w << 1) & kHigh) >> 7;
    continuations += static_cast<size_t>((m * 0x0101010101010101ULL) >> 56);
    i = n;
  }
  for (; i < n; ++i) continuations += (p[i] & 0xC0) == 0x80;
  return n - continuations;
}

// Byte offset of each code point, plus s.size() at the end.
inline std::vector<size_t> Offsets(std::string_view s) {
  std::vector<size_t> out;
  out.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  }
  out.push_back(s.size());
  return out;
}

inline void Append(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace clausegate::utf8
