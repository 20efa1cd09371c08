#include "cli/args.h"

#include <cctype>
#include <ostream>

namespace clausegate::cli {

namespace {

std::vector<std::string> Names(std::initializer_list<std::string_view> names) {
  return {names.begin(), names.end()};
}

// "--word" or "-w": what a user means as a flag, not a value.
bool LooksLikeFlag(std::string_view a) {
  if (a.size() < 2 || a[0] != '-') return false;
  if (a[1] == '-') return a.size() > 2 && std::isalpha(static_cast<unsigned char>(a[2]));
  return std::isalpha(static_cast<unsigned char>(a[1])) != 0;
}

}  // namespace

Args& Args::Value(std::initializer_list<std::string_view> names, std::string* into) {
  flags_.push_back({Names(names), Type::kValue, into});
  return *this;
}

Args& Args::Values(std::initializer_list<std::string_view> names, std::vector<std::string>* into) {
  flags_.push_back({Names(names), Type::kValues, into});
  return *this;
}

Args& Args::Switch(std::initializer_list<std::string_view> names, bool* into) {
  flags_.push_back({Names(names), Type::kSwitch, into});
  return *this;
}

Args& Args::Positional(std::vector<std::string>* into, size_t max, bool dash_values) {
  positional_ = into;
  max_positional_ = max;
  dash_values_ = dash_values;
  return *this;
}

const Args::Flag* Args::Find(std::string_view name) const {
  for (const Flag& f : flags_) {
    for (const std::string& n : f.names) {
      if (n == name) return &f;
    }
  }
  return nullptr;
}

Args::Outcome Args::Parse(std::span<const std::string> args, std::string* error) const {
  const std::string prefix = "clausegate " + command_ + ": ";
  size_t positionals = 0;
  auto positional = [&](const std::string& a) {
    if (!positional_ || positionals >= max_positional_) {
      *error = prefix + "unexpected argument \"" + a + "\"";
      return false;
    }
    positional_->push_back(a);
    ++positionals;
    return true;
  };
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (flags_done || a == "-" || a.empty() || a[0] != '-') {
      if (!positional(a)) return Outcome::kError;
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    if (a == "-h" || a == "--help") return Outcome::kHelp;
    // "--flag=value"; short flags take their value as the next argument only.
    std::string name = a, inline_value;
    bool has_inline = false;
    if (a.starts_with("--")) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
        has_inline = true;
      }
    }
    const Flag* f = Find(name);
    if (!f) {
      if (dash_values_ && !a.starts_with("--")) {
        if (!positional(a)) return Outcome::kError;
        continue;
      }
      if (dash_values_ && !LooksLikeFlag(a)) {
        if (!positional(a)) return Outcome::kError;
        continue;
      }
      *error = prefix + "unknown flag " + name + (positional_ ? " (put -- before arguments that start with -)" : "");
      return Outcome::kError;
    }
    if (f->type == Type::kSwitch) {
      if (has_inline) {
        *error = prefix + name + " takes no value";
        return Outcome::kError;
      }
      *static_cast<bool*>(f->into) = true;
      continue;
    }
    std::string value;
    if (has_inline) {
      value = inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      *error = prefix + name + " needs a value";
      return Outcome::kError;
    }
    if (f->type == Type::kValue) {
      *static_cast<std::string*>(f->into) = std::move(value);
    } else {
      static_cast<std::vector<std::string>*>(f->into)->push_back(std::move(value));
    }
  }
  return Outcome::kRun;
}

std::optional<int> Args::ParseOrExit(std::span<const std::string> args, std::ostream& out, std::ostream& err,
                                     std::string_view usage) const {
  std::string error;
  switch (Parse(args, &error)) {
    case Outcome::kRun: return std::nullopt;
    case Outcome::kHelp: out << usage; return 0;
    case Outcome::kError: err << error << "\n" << usage; return 2;
  }
  return 2;
}

}  // namespace clausegate::cli
