#pragma once
// One reading of command lines for every subcommand: "--flag value" and
// "--flag=value", short aliases, repeatable values, switches, positional
// arguments, "-h"/"--help", and "--", after which every argument is positional
// (`clausegate cel -- -1`).

#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::cli {

class Args {
 public:
  // `command` names the subcommand in messages ("clausegate check: ...").
  explicit Args(std::string command) : command_(std::move(command)) {}

  // A flag with one value; given twice, the last one counts.
  Args& Value(std::initializer_list<std::string_view> names, std::string* into);
  // A flag with a value that may be given many times.
  Args& Values(std::initializer_list<std::string_view> names, std::vector<std::string>* into);
  // A flag without a value.
  Args& Switch(std::initializer_list<std::string_view> names, bool* into);
  // Arguments that are not flags, at most `max` of them. With `dash_values`, an
  // argument that starts with "-" and is no known flag is positional too, unless it
  // looks like a long flag ("--word"): a CEL expression such as "-1" or "-x".
  Args& Positional(std::vector<std::string>* into, size_t max, bool dash_values = false);

  enum class Outcome { kRun, kHelp, kError };
  // kError with a one-line `error` that starts with "clausegate COMMAND: ".
  Outcome Parse(std::span<const std::string> args, std::string* error) const;
  // Parse for a command's entry point: help prints `usage` to `out` (exit 0), an
  // error prints the message and `usage` to `err` (exit 2); nullopt means go on.
  std::optional<int> ParseOrExit(std::span<const std::string> args, std::ostream& out, std::ostream& err,
                                 std::string_view usage) const;

 private:
  enum class Type { kValue, kValues, kSwitch };
  struct Flag {
    std::vector<std::string> names;
    Type type;
    void* into;
  };
  const Flag* Find(std::string_view name) const;

  std::string command_;
  std::vector<Flag> flags_;
  std::vector<std::string>* positional_ = nullptr;
  size_t max_positional_ = 0;
  bool dash_values_ = false;
};

}  // namespace clausegate::cli
