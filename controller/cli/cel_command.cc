#include "cli/cel_command.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "cel/program.h"
#include "cli/args.h"
#include "cel/tagged.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate cel [--bindings JSON|@FILE] [--typed] [--] EXPR\n"
    "  Evaluates one CEL expression and prints its value as JSON.\n"
    "  --bindings  variables in tagged form, e.g. '{\"x\": {\"int\": \"3\"}}', or @file\n"
    "  --typed     print the value in tagged form, e.g. {\"uint\":\"7\"}\n"
    "  An expression may start with - (clausegate cel '-1'); after -- every argument is the\n"
    "  expression, whatever it starts with.\n";

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
  std::string bindings_text;
  std::vector<std::string> exprs;
  bool typed = false;
  // An expression may start with "-" ("-1", "-x"); "--" ends the flags for any other.
  Args parser("cel");
  parser.Value({"--bindings"}, &bindings_text).Switch({"--typed"}, &typed).Positional(&exprs, 1, true);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  if (exprs.empty()) {
    err << "clausegate cel: no expression given\n" << kUsage;
    return 2;
  }
  const std::string& expr = exprs[0];
  if (bindings_text.starts_with("@")) {
    std::string path = bindings_text.substr(1);
    if (!ReadFile(path, &bindings_text)) {
      err << "clausegate cel: cannot read bindings file " << path << "\n";
      return 2;
    }
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
