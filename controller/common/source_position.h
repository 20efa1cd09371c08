#pragma once
// A position in a source text, and a problem found there ("file:line:col: message").

#include <cstdint>
#include <string>
#include <string_view>

namespace clausegate {

struct SourcePosition {
  uint32_t line = 0;    // 1-based; 0 = unknown
  uint32_t column = 0;  // 1-based, in characters (code points)
};

struct Issue {
  std::string file;
  SourcePosition position;
  std::string message;

  // "file:line:col: message"; parts that are unknown are left out.
  std::string ToString() const;
};

// Line and column (1-based, columns in code points) of byte `offset` in `text`.
SourcePosition PositionAt(std::string_view text, size_t offset);

}  // namespace clausegate
