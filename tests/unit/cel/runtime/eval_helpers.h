#pragma once
// Small helpers for CEL unit tests: compile and evaluate in one call.

#include <map>
#include <string>

#include "cel/runtime/program.h"
#include "cel/tagged.h"

namespace clausegate::cel::testing {

// Evaluates `expr` with the given variables. Compile errors come back as an
// error Value whose message starts with "compile:". These tests are of the
// runtime: every library clausegate has, and no type checker in front (which
// would refuse most ill-typed expressions before they run; see checker_test.cc).
inline Value Eval(const std::string& expr, const std::map<std::string, Value>& vars = {},
                  EvalOptions options = {}) {
  Env env(checker::Profile::kClausegate);
  std::vector<std::pair<int, Value>> bound;
  for (const auto& [name, v] : vars) bound.emplace_back(env.DeclareVariable(name), v);
  CompileOptions compile;
  compile.check = false;
  auto compiled = Compile(expr, env, compile);
  if (compiled.error) return Value::Error("compile: " + compiled.error->message);
  Activation act(env);
  for (auto& [i, v] : bound) act.Bind(i, v);
  return compiled.program->Evaluate(act, options);
}

// The tagged JSON text of a value, for readable assertions.
inline std::string Tagged(const Value& v) { return ToTagged(v).dump(); }

inline std::string EvalTagged(const std::string& expr, const std::map<std::string, Value>& vars = {}) {
  return Tagged(Eval(expr, vars));
}

// The error message of an evaluation, or "" when it did not fail.
inline std::string EvalError(const std::string& expr, const std::map<std::string, Value>& vars = {},
                             EvalOptions options = {}) {
  Value v = Eval(expr, vars, options);
  return v.is_error() ? v.error_message() : "";
}

}  // namespace clausegate::cel::testing
