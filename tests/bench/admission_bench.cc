// The in-process webhook handler: one 10 KB Pod AdmissionReview judged against a
// policy set, without HTTP. Prints p50/p99/max per review over many runs.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "admission/review.h"
#include "policy/loader.h"

using namespace clausegate;

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) paths.emplace_back(argv[i]);
  if (paths.empty()) paths = {std::string(CLAUSEGATE_SOURCE_DIR) + "/policies", std::string(CLAUSEGATE_SOURCE_DIR) + "/examples/policies"};
  std::vector<Issue> issues;
  auto loaded = policy::LoadPolicies(policy::ReadPolicyFiles(paths, &issues));
  for (const auto& i : loaded.issues) issues.push_back(i);
  if (!issues.empty()) {
    for (const auto& i : issues) std::fprintf(stderr, "%s\n", i.ToString().c_str());
    return 2;
  }
  size_t n_policies = loaded.policies.size();
  engine::PolicySet set(std::move(loaded.policies), std::move(loaded.exceptions));
  std::ifstream in(std::string(CLAUSEGATE_SOURCE_DIR) + "/tests/bench/data/pod-review.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string body = ss.str();
  json::Decoder decoder;
  admission::ReviewOptions options;
  // CLAUSEGATE_BENCH_RUNS: fewer runs, for instruction counts under callgrind.
  const char* runs_env = std::getenv("CLAUSEGATE_BENCH_RUNS");
  const int kRuns = runs_env ? std::max(1, std::atoi(runs_env)) : 50000;
  for (int i = 0; i < std::min(2000, kRuns); ++i) admission::HandleReview(body, set, decoder, options);  // warm up
  std::vector<double> micros(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = admission::HandleReview(body, set, decoder, options);
    auto t1 = std::chrono::steady_clock::now();
    if (r.http_status != 200) return 1;
    micros[i] = std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  std::sort(micros.begin(), micros.end());
  std::printf("handler: %zu-byte Pod AdmissionReview, %zu policies: p50 %.1f us, p99 %.1f us, max %.1f us\n",
              body.size(), n_policies, micros[kRuns / 2], micros[kRuns * 99 / 100], micros.back());
  return 0;
}
