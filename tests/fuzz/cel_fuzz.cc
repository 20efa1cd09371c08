// libFuzzer target: parse, compile and evaluate arbitrary expressions against a
// small document. Any crash, hang or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cel/runtime/program.h"
#include "json/document.h"

namespace cel = clausegate::cel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view expr(reinterpret_cast<const char*>(data), size);
  static constexpr std::string_view kDoc =
      R"({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i:1",)"
      R"("securityContext":{"privileged":true}}],"n":3,"d":1.5}})";
  clausegate::json::Decoder decoder;
  auto doc = decoder.Decode(kDoc);
  if (!doc.ok()) return 0;
  cel::Env env;
  int object = env.DeclareVariable("object");
  int x = env.DeclareVariable("x");
  for (bool strict : {true, false}) {
    cel::CompileOptions opts;
    opts.strict = strict;
    auto compiled = cel::Compile(expr, env, opts);
    if (compiled.error) continue;
    cel::Activation act(env);
    act.Bind(object, cel::Value::Json((*doc)->root()));
    act.Bind(x, cel::Value::Int(7));
    cel::EvalOptions eval;
    eval.cost_limit = 20000;  // keeps each input fast
    eval.work_budget = 20000;
    (void)compiled.program->Evaluate(act, eval);
  }
  return 0;
}
