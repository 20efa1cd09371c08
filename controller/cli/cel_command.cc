#include "cli/cel_command.h"

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <iostream>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "cel/runtime/program.h"
#include "cel/tagged.h"
#include "cli/args.h"
#include "json/document.h"
#include "policy/admission_types.h"

namespace clausegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: clausegate cel [--bindings JSON|@FILE] [--type NAME=TYPE]... [--profile P] [--typed] [--] EXPR\n"
    "       clausegate cel --batch < LINES\n"
    "       clausegate cel --decls [--profile P]\n"
    "  Type-checks and evaluates one CEL expression and prints its value as JSON.\n"
    "  --bindings  variables in tagged form, e.g. '{\"x\": {\"int\": \"3\"}}', or @file (dyn)\n"
    "  --type      a variable's static type: int, list(string), map(string, dyn), timestamp,\n"
    "              kubernetes.AdmissionRequest, kubernetes.Namespace, ...\n"
    "  --profile   kubernetes-1.37 (default: the ValidatingAdmissionPolicy environment) or\n"
    "              clausegate (adds math, cel.bind, string reverse, one-variable existsOne)\n"
    "  --decls     print the profile's functions with their types, one overload a line\n"
    "  --typed     print the value in tagged form, e.g. {\"uint\":\"7\"}\n"
    "  An expression may start with - (clausegate cel '-1'); after -- every argument is the\n"
    "  expression, whatever it starts with.\n"
    "  --batch     one JSON object per input line: {\"id\":..., \"expr\":\"...\", \"bindings\":{tagged},\n"
    "              \"json_bindings\":{plain JSON}, \"types\":{name: type}, \"profile\":P}; one line out for each: {\"id\":..., \"value\":tagged},\n"
    "              {\"id\":..., \"error\":\"...\"} (evaluation) or {\"id\":..., \"compile_error\":\"...\"};\n"
    "              an evaluation also gives its actual cost, as the API server counts it: \"cost\":N\n";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// Declares `name` with its static type from `types` (dyn when not given there).
int Declare(cel::Env& env, const std::string& name, const std::map<std::string, cel::checker::Type>& types) {
  auto it = types.find(name);
  return env.DeclareVariable(name, it == types.end() ? cel::checker::Type::Dyn() : it->second);
}

// "NAME=TYPE" pairs (or a {"name": "type"} object) as static types; an error names the bad one.
std::optional<std::string> ReadTypes(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     std::map<std::string, cel::checker::Type>* out) {
  for (const auto& [name, text] : pairs) {
    auto t = policy::AdmissionTypeByName(text);
    if (!t || name.empty()) return "types." + name + ": unknown type \"" + text + "\"";
    (*out)[name] = *t;
  }
  return std::nullopt;
}

// What a batch keeps from line to line: each profile's environment, built once and
// copied for every line (building one reads every declaration of its libraries), and
// the programs compiled lately, by what they depend on (profile, declarations in
// order, text): a batch gives the same expression over many bindings.
class BatchCache {
 public:
  struct Compiled {
    std::shared_ptr<const cel::Env> env;  // the program's variable indices are this Env's
    cel::CompileResult result;
  };

  const cel::Env& Prototype(cel::checker::Profile profile) {
    auto it = envs_.find(profile);
    if (it == envs_.end()) it = envs_.emplace(profile, cel::Env(profile)).first;
    return it->second;
  }

  const Compiled& Compile(const std::string& key, const std::string& text, const cel::Env& env) {
    if (auto it = programs_.find(key); it != programs_.end()) return it->second;
    if (programs_.size() >= kMaxPrograms) programs_.clear();  // a bound, not an eviction policy
    auto kept = std::make_shared<const cel::Env>(env);
    cel::CompileResult result = cel::Compile(text, *kept);
    return programs_.emplace(key, Compiled{std::move(kept), std::move(result)}).first->second;
  }

 private:
  static constexpr size_t kMaxPrograms = 1024;
  std::map<cel::checker::Profile, cel::Env> envs_;
  std::unordered_map<std::string, Compiled> programs_;
};

// One expression of a batch: compiled in an environment of its own bindings.
nlohmann::json EvaluateLine(const nlohmann::json& line, json::Decoder& decoder, BatchCache& cache) {
  nlohmann::json out = {{"id", line.contains("id") ? line["id"] : nlohmann::json()}};
  if (!line.contains("expr") || !line["expr"].is_string()) {
    out["compile_error"] = "no \"expr\" string";
    return out;
  }
  auto profile = cel::checker::Profile::kKubernetes;
  if (line.contains("profile")) {
    auto p = line["profile"].is_string() ? cel::checker::ProfileByName(line["profile"].get<std::string>()) : std::nullopt;
    if (!p) {
      out["compile_error"] = "unknown profile";
      return out;
    }
    profile = *p;
  }
  std::map<std::string, cel::checker::Type> types;
  if (line.contains("types") && line["types"].is_object()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [name, t] : line["types"].items()) pairs.emplace_back(name, t.is_string() ? t.get<std::string>() : "");
    if (auto err = ReadTypes(pairs, &types)) {
      out["compile_error"] = *err;
      return out;
    }
  }
  cel::Env env = cache.Prototype(profile);
  for (const auto& [name, t] : types) env.DeclareVariable(name, t);
  // The compiled program depends on the profile, the types and the names declared, in order.
  std::string key = std::string(cel::checker::ProfileName(profile)) + '\n' +
                    (line.contains("types") ? line["types"].dump() : std::string()) + '\n';
  auto declare = [&](const std::string& name) {
    key += name;
    key += '\n';
    return Declare(env, name, types);
  };
  std::vector<std::pair<int, cel::Value>> bound;
  std::vector<json::DocumentPtr> docs;  // the plain JSON bindings point into these
  if (line.contains("bindings")) {
    auto b = cel::BindingsFromTagged(line["bindings"]);
    if (!b.ok()) {
      out["compile_error"] = "bindings: " + b.status().message();
      return out;
    }
    for (auto& [name, v] : *b) bound.emplace_back(declare(name), v);
  }
  if (line.contains("json_bindings") && line["json_bindings"].is_object()) {
    for (const auto& [name, value] : line["json_bindings"].items()) {
      auto doc = decoder.Decode(Dump(value));
      if (!doc.ok()) {
        out["compile_error"] = "json_bindings." + name + ": " + doc.status().message();
        return out;
      }
      docs.push_back(*doc);
      bound.emplace_back(declare(name), cel::Value::Json(**doc));
    }
  }
  const std::string& text = line["expr"].get_ref<const std::string&>();
  key += '\n';
  key += text;
  const BatchCache::Compiled& cached = cache.Compile(key, text, env);
  const cel::CompileResult& compiled = cached.result;
  if (compiled.error) {
    out["compile_error"] = std::to_string(compiled.error->position.line) + ":" +
                           std::to_string(compiled.error->position.column) + ": " + compiled.error->message;
    return out;
  }
  cel::Activation act(*cached.env);
  for (auto& [i, v] : bound) act.Bind(i, v);
  cel::EvalStats stats;
  cel::Value v = compiled.program->Evaluate(act, {}, &stats);
  if (v.is_error()) {
    out["error"] = v.error_message();
  } else {
    out["value"] = cel::ToTagged(v);
  }
  out["cost"] = stats.cost;
  if (compiled.estimated_cost) out["estimated_cost"] = compiled.estimated_cost->max;
  return out;
}

int RunBatch(std::istream& in, std::ostream& out) {
  json::Decoder decoder;
  BatchCache cache;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto line = nlohmann::json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object()) {
      out << Dump({{"id", nullptr}, {"compile_error", "not a JSON object"}}) << "\n";
      continue;
    }
    out << Dump(EvaluateLine(line, decoder, cache)) << "\n";
  }
  out.flush();
  return 0;
}

}  // namespace

int RunCelCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::string bindings_text, profile_name = "kubernetes-1.37";
  std::vector<std::string> exprs, type_args;
  bool typed = false, batch = false, decls = false;
  // An expression may start with "-" ("-1", "-x"); "--" ends the flags for any other.
  Args parser("cel");
  parser.Value({"--bindings"}, &bindings_text)
      .Values({"--type"}, &type_args)
      .Value({"--profile"}, &profile_name)
      .Switch({"--typed"}, &typed)
      .Switch({"--batch"}, &batch)
      .Switch({"--decls"}, &decls)
      .Positional(&exprs, 1, true);
  if (auto exit = parser.ParseOrExit(args, out, err, kUsage)) return *exit;
  if (batch) return RunBatch(std::cin, out);
  auto profile = cel::checker::ProfileByName(profile_name);
  if (!profile) {
    err << "clausegate cel: unknown --profile \"" << profile_name << "\" (kubernetes-1.37 or clausegate)\n";
    return 2;
  }
  if (decls) {
    for (const std::string& line : cel::checker::Declarations::Build(*profile)->Lines()) out << line << "\n";
    return 0;
  }
  std::map<std::string, cel::checker::Type> types;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& a : type_args) {
    size_t eq = a.find('=');
    pairs.emplace_back(a.substr(0, eq), eq == std::string::npos ? "" : a.substr(eq + 1));
  }
  if (auto e = ReadTypes(pairs, &types)) {
    err << "clausegate cel: --type " << *e << "\n";
    return 2;
  }
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

  cel::Env env(*profile);
  for (const auto& [name, t] : types) env.DeclareVariable(name, t);
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
    for (auto& [name, v] : *b) bound.emplace_back(Declare(env, name, types), v);
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
