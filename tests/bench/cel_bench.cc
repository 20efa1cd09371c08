// Evaluation speed of a realistic policy expression: every container of a ~10 KB
// Pod checked for five securityContext fields through optionals.

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "cel/runtime/program.h"
#include "json/document.h"

namespace cel = clausegate::cel;

namespace {

std::string ReadPod() {
  std::ifstream in(std::string(CLAUSEGATE_SOURCE_DIR) + "/tests/bench/data/pod.json");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kExpr =
    "(object.spec.containers + object.spec.?initContainers.orValue([]) + "
    "object.spec.?ephemeralContainers.orValue([])).all(c, "
    "!c.?securityContext.?privileged.orValue(false) && "
    "c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false && "
    "c.?securityContext.?runAsNonRoot.orValue(false) && "
    "c.?securityContext.?readOnlyRootFilesystem.orValue(false) && "
    "c.?securityContext.?capabilities.?drop.orValue([]).exists(d, d == 'ALL'))";

void BM_EvaluatePodSecurityContext(benchmark::State& state) {
  clausegate::json::Decoder decoder;
  auto doc = decoder.Decode(ReadPod());
  if (!doc.ok()) {
    state.SkipWithError(doc.status().message().c_str());
    return;
  }
  cel::Env env;
  int object = env.DeclareVariable("object");
  auto compiled = cel::Compile(kExpr, env);
  if (compiled.error) {
    state.SkipWithError(compiled.error->message.c_str());
    return;
  }
  cel::Activation act(env);
  act.Bind(object, cel::Value::Json((*doc)->root()));
  for (auto _ : state) {
    cel::Value v = compiled.program->Evaluate(act);
    if (v.kind() != cel::Kind::kBool || !v.bool_value()) state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_EvaluatePodSecurityContext);

void BM_CompileExpression(benchmark::State& state) {
  cel::Env env;
  env.DeclareVariable("object");
  for (auto _ : state) {
    auto compiled = cel::Compile(kExpr, env);
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_CompileExpression);

void BM_DecodePod(benchmark::State& state) {
  std::string pod = ReadPod();
  clausegate::json::Decoder decoder;
  for (auto _ : state) {
    auto doc = decoder.Decode(pod);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pod.size()));
}
BENCHMARK(BM_DecodePod);

}  // namespace

BENCHMARK_MAIN();
