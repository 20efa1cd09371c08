#include "cli/cel_command.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "cel/program.h"
#include "cel/tagged.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate cel EXPR [--bindings JSON|@FILE] [--typed]\n"
    "  Evaluates one CEL expression and prints its value as JSON.\n"
    "  --bindings  variables in tagged form, e.g. '{\"x\": {\"int\": \"3\"}}', or @file\n"
    "  --typed     print the value in tagged form, e.g. {\"uint\":\"7\"}\n";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

int RunCelCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::string expr, bindings_text;
  bool have_expr = false, typed = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--typed") {
      typed = true;
    } else if (a == "--bindings" || a.starts_with("--bindings=")) {
      if (a == "--bindings") {
        if (i + 1 >= args.size()) {
          err << "clausegate cel: --bindings needs a value\n" << kUsage;
          return 2;
        }
        bindings_text = args[++i];
      } else {
        bindings_text = a.substr(11);
      }
      if (bindings_text.starts_with("@")) {
        std::string path = bindings_text.substr(1);
        if (!ReadFile(path, &bindings_text)) {
          err << "clausegate cel: cannot read bindings file " << path << "\n";
          return 2;
        }
      }
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a.starts_with("--")) {
      err << "clausegate cel: unknown flag " << a << "\n" << kUsage;
      return 2;
    } else if (!have_expr) {
      expr = a;
      have_expr = true;
    } else {
      err << "clausegate cel: unexpected argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (!have_expr) {
    err << kUsage;
    return 2;
  }

  cel::Env env;
  std::vector<std::pair<int, cel::Value>> bound;
  if (!bindings_text.empty()) {
    auto j = nlohmann::json::parse(bindings_text, nullptr, false);
    if (j.is_discarded()) {
      err << "clausegate cel: --bindings is not valid JSON\n";
      return 2;
    }
    auto b = cel::BindingsFromTagged(j);
    if (!b.ok()) {
      err << "clausegate cel: " << b.status().message() << "\n";
      return 2;
    }
    for (auto& [name, v] : *b) bound.emplace_back(env.DeclareVariable(name), v);
  }
  auto compiled = cel::Compile(expr, env);
  if (compiled.error) {
    err << "<expr>:" << compiled.error->position.line << ":" << compiled.error->position.column << ": "
        << compiled.error->message << "\n";
    return 2;
  }
  cel::Activation act(env);
  for (auto& [i, v] : bound) act.Bind(i, v);
  cel::Value v = compiled.program->Evaluate(act);
  if (v.is_error()) {
    out << nlohmann::json{{"error", v.error_message()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
    return 1;
  }
  // Strings built from bytes may hold invalid UTF-8: replace rather than throw.
  out << (typed ? cel::ToTagged(v) : cel::ToPlainJson(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
  return 0;
}

}  // namespace clausegate::cli
