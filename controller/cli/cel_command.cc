#include "cli/cel_command.h"

#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>

#include "cel/program.h"
#include "cli/args.h"
#include "cel/tagged.h"
#include "json/document.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate cel [--bindings JSON|@FILE] [--typed] [--] EXPR\n"
    "       clausegate cel --batch < LINES\n"
    "  Evaluates one CEL expression and prints its value as JSON.\n"
    "  --bindings  variables in tagged form, e.g. '{\"x\": {\"int\": \"3\"}}', or @file\n"
    "  --typed     print the value in tagged form, e.g. {\"uint\":\"7\"}\n"
    "  An expression may start with - (clausegate cel '-1'); after -- every argument is the\n"
    "  expression, whatever it starts with.\n"
    "  --batch     one JSON object per input line: {\"id\":..., \"expr\":\"...\", \"bindings\":{tagged},\n"
    "              \"json_bindings\":{plain JSON}}; one line out for each: {\"id\":..., \"value\":tagged},\n"
    "              {\"id\":..., \"error\":\"...\"} (evaluation) or {\"id\":..., \"compile_error\":\"...\"}\n";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// One expression of a batch: compiled in an environment of its own bindings.
nlohmann::json EvaluateLine(const nlohmann::json& line, json::Decoder& decoder) {
  nlohmann::json out = {{"id", line.contains("id") ? line["id"] : nlohmann::json()}};
  if (!line.contains("expr") || !line["expr"].is_string()) {
    out["compile_error"] = "no \"expr\" string";
    return out;
  }
  cel::Env env;
  std::vector<std::pair<int, cel::Value>> bound;
  std::vector<json::DocumentPtr> docs;  // the plain JSON bindings point into these
  if (line.contains("bindings")) {
    auto b = cel::BindingsFromTagged(line["bindings"]);
    if (!b.ok()) {
      out["compile_error"] = "bindings: " + b.status().message();
      return out;
    }
    for (auto& [name, v] : *b) bound.emplace_back(env.DeclareVariable(name), v);
  }
  if (line.contains("json_bindings") && line["json_bindings"].is_object()) {
    for (const auto& [name, value] : line["json_bindings"].items()) {
      auto doc = decoder.Decode(Dump(value));
      if (!doc.ok()) {
        out["compile_error"] = "json_bindings." + name + ": " + doc.status().message();
        return out;
      }
      docs.push_back(*doc);
      bound.emplace_back(env.DeclareVariable(name), cel::Value::Json((*doc)->root()));
    }
  }
  auto compiled = cel::Compile(line["expr"].get<std::string>(), env);
  if (compiled.error) {
    out["compile_error"] = std::to_string(compiled.error->position.line) + ":" +
                           std::to_string(compiled.error->position.column) + ": " + compiled.error->message;
    return out;
  }
  cel::Activation act(env);
  for (auto& [i, v] : bound) act.Bind(i, v);
  cel::Value v = compiled.program->Evaluate(act);
  if (v.is_error()) {
    out["error"] = v.error_message();
  } else {
    out["value"] = cel::ToTagged(v);
  }
  return out;
}

int RunBatch(std::istream& in, std::ostream& out) {
  json::Decoder decoder;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto line = nlohmann::json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object()) {
      out << Dump({{"id", nullptr}, {"compile_error", "not a JSON object"}}) << "\n";
      continue;
    }
    out << Dump(EvaluateLine(line, decoder)) << "\n";
  }
  out.flush();
  return 0;
}

}  // namespace

int RunCelCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::string bindings_text;
  std::vector<std::string> exprs;
  bool typed = false, batch = false;
  // An expression may start with "-" ("-1", "-x"); "--" ends the flags for any other.
  Args parser("cel");
  parser.Value({"--bindings"}, &bindings_text).Switch({"--typed"}, &typed).Switch({"--batch"}, &batch).Positional(&exprs, 1, true);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  if (batch) return RunBatch(std::cin, out);
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
