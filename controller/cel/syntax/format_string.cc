#include "cel/syntax/format_string.h"

#include <cstdint>

namespace clausegate::cel {

std::optional<std::string> WalkFormat(std::string_view format, size_t arg_count, bool runtime, const ClauseFn& clause,
                                      std::string* out, size_t* clauses_seen) {
  size_t index = 0;
  for (size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      out->push_back(format[i++]);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      out->push_back('%');
      i += 2;
      continue;
    }
    ++*clauses_seen;
    if (runtime && index >= arg_count) return "index " + std::to_string(index) + " out of range";
    if (i + 1 >= format.size()) return std::string("unexpected end of string");
    if (index >= arg_count) return "index " + std::to_string(index) + " out of range";
    size_t j = i + 1;
    FormatClause c;
    if (format[j] == '.') {
      ++j;
      size_t start = j;
      while (true) {
        if (j >= format.size()) {
          return std::string("could not parse formatting clause: error while parsing precision: could not find end "
                             "of precision specifier");
        }
        if (format[j] < '0' || format[j] > '9') break;
        ++j;
      }
      std::string digits(format.substr(start, j - start));
      if (digits.empty() || digits.size() > 18) {
        return "could not parse formatting clause: error while parsing precision: error while converting precision "
               "to integer: strconv.Atoi: parsing \"" + digits + "\": " + (digits.empty() ? "invalid syntax" : "value out of range");
      }
      int64_t p = std::stoll(digits);
      if (p > INT32_MAX) {
        return "could not parse formatting clause: error while parsing precision: error while converting precision "
               "to integer: strconv.Atoi: parsing \"" + digits + "\": value out of range";
      }
      c.precision = static_cast<int>(p);
    }
    char verb = format[j++];
    if (std::string_view("sdfeboxX").find(verb) == std::string_view::npos) {
      // Go reads the byte as a rune: a byte past ASCII prints as that code point.
      std::string shown;
      auto b = static_cast<unsigned char>(verb);
      if (b < 0x80) {
        shown.push_back(verb);
      } else {
        shown.push_back(static_cast<char>(0xC0 | (b >> 6)));
        shown.push_back(static_cast<char>(0x80 | (b & 0x3F)));
      }
      return "could not parse formatting clause: unrecognized formatting clause \"" + shown + "\"";
    }
    c.verb = verb;
    if (auto err = clause(index, c, out)) return err;
    ++index;
    i = j;
  }
  return std::nullopt;
}

}  // namespace clausegate::cel
