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
  std::string message;  // starts with `field` and ": " when `field` is set
  // For a problem inside a field's value (a CEL expression): the field's path
  // ("spec.validations[0].expression") and the position within the value.
  std::string field;
  SourcePosition in_field;

  // "file:line:col: message"; parts that are unknown are left out.
  std::string ToString() const;
  // Without the file, as a resource read from the API server is told:
  // "spec.validations[0].expression:1:5: message", or the message alone.
  std::string ToFieldString() const;
};

// Line and column (1-based, columns in code points) of byte `offset` in `text`.
SourcePosition PositionAt(std::string_view text, size_t offset);

}  // namespace clausegate
