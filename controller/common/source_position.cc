#include "common/source_position.h"

namespace clausegate {

std::string Issue::ToString() const {
  std::string out = file;
  if (position.line > 0) {
    if (!out.empty()) out += ':';
    out += std::to_string(position.line) + ':' + std::to_string(position.column);
  }
  if (!out.empty()) out += ": ";
  out += message;
  return out;
}

std::string Issue::ToFieldString() const {
  if (field.empty() || in_field.line == 0 || !message.starts_with(field + ": ")) return message;
  return field + ':' + std::to_string(in_field.line) + ':' + std::to_string(in_field.column) +
         message.substr(field.size());
}

SourcePosition PositionAt(std::string_view text, size_t offset) {
  SourcePosition pos{1, 1};
  if (offset > text.size()) offset = text.size();
  for (size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
      ++pos.column;
    }
  }
  return pos;
}

}  // namespace clausegate
