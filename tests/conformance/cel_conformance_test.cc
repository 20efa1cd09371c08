// Runs every case of the CEL specification's conformance suite
// (tests/conformance/cel/*.json, see the README there; CLAUSEGATE_CEL_CONFORMANCE
// may name another folder of the same form). Cases marked with
// `needs` are out of scope; any other case that is skipped is listed, with its
// reason, in tests/conformance/cel_skip.txt.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cel/runtime/program.h"
#include "cel/tagged.h"

namespace cel = clausegate::cel;
namespace fs = std::filesystem;

namespace {

fs::path ConformanceDir() {
  if (const char* env = std::getenv("CLAUSEGATE_CEL_CONFORMANCE")) return env;
  return fs::path(CLAUSEGATE_SOURCE_DIR) / "tests" / "conformance" / "cel";
}

// "file/section/name" -> reason
std::map<std::string, std::string> LoadSkipList() {
  std::map<std::string, std::string> skips;
  std::ifstream in(fs::path(CLAUSEGATE_SOURCE_DIR) / "tests" / "conformance" / "cel_skip.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    skips[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return skips;
}

struct Outcome {
  bool pass;
  std::string detail;
};

Outcome RunCase(const nlohmann::json& c) {
  // cel-spec's string.format(), not Kubernetes 1.37's (see cel/format.h).
  cel::Env env(cel::checker::Profile::kClausegate);
  std::unordered_map<std::string, cel::Value> bindings;
  if (c.contains("bindings")) {
    auto b = cel::BindingsFromTagged(c["bindings"]);
    if (!b.ok()) return {false, "bad bindings: " + b.status().message()};
    bindings.swap(*b);  // (a move assignment here trips a GCC 12 -O3 -Wfree-nonheap-object false positive)
  }
  std::vector<std::pair<int, cel::Value>> bound;
  for (auto& [name, v] : bindings) bound.emplace_back(env.DeclareVariable(name), v);

  cel::CompileOptions opts;
  opts.strict = false;
  // The suite's data holds unchecked expressions too (it marks checked ones, not
  // which check they expect): run it on the runtime alone.
  opts.check = false;
  std::string expr = c["expr"].get<std::string>();
  auto compiled = cel::Compile(expr, env, opts);
  const auto& expect = c["expect"];
  if (compiled.error) {
    if (expect.contains("error")) return {true, ""};
    return {false, "compile error: " + compiled.error->message};
  }
  cel::Activation act(env);
  for (auto& [i, v] : bound) act.Bind(i, v);
  cel::Value got = compiled.program->Evaluate(act);
  if (expect.contains("error")) {
    if (got.is_error()) return {true, ""};
    return {false, "expected error '" + expect["error"].get<std::string>() + "', got " + cel::ToTagged(got).dump()};
  }
  cel::Value want = cel::Value::Bool(true);
  if (expect.contains("value")) {
    auto w = cel::FromTagged(expect["value"]);
    if (!w.ok()) return {false, "bad expected value: " + w.status().message()};
    want = *w;
  }
  if (got.is_error()) return {false, "unexpected error: " + got.error_message()};
  if (!cel::IdenticalValues(got, want)) {
    return {false, "got " + cel::ToTagged(got).dump() + ", want " + cel::ToTagged(want).dump()};
  }
  return {true, ""};
}

}  // namespace

TEST_CASE("CEL conformance suite", "[conformance]") {
  fs::path dir = ConformanceDir();
  REQUIRE(fs::is_directory(dir));
  auto skips = LoadSkipList();
  std::set<std::string> used_skips;
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  int total_pass = 0, total_fail = 0, total_skip = 0, total_needs = 0;
  std::vector<std::string> failures;
  for (const auto& file : files) {
    std::ifstream in(file);
    nlohmann::json cases = nlohmann::json::parse(in, nullptr, false);
    REQUIRE_FALSE(cases.is_discarded());
    int pass = 0, fail = 0, skipped = 0, needs = 0;
    for (const auto& c : cases) {
      if (c.contains("needs")) {
        ++needs;
        continue;
      }
      std::string id = c["file"].get<std::string>() + "/" + c["section"].get<std::string>() + "/" +
                       c["name"].get<std::string>();
      if (skips.count(id)) {
        used_skips.insert(id);
        ++skipped;
        continue;
      }
      Outcome o = RunCase(c);
      if (o.pass) {
        ++pass;
      } else {
        ++fail;
        failures.push_back(id + ": " + c["expr"].get<std::string>() + " -- " + o.detail);
      }
    }
    std::cout << file.stem().string() << ": " << pass << " passed, " << fail << " failed, " << skipped
              << " skipped (listed), " << needs << " out of scope\n";
    total_pass += pass;
    total_fail += fail;
    total_skip += skipped;
    total_needs += needs;
  }
  for (const auto& f : failures) std::cout << "FAIL " << f << "\n";
  std::cout << "conformance: " << total_pass << " passed, " << total_fail << " failed, " << total_skip
            << " skipped (listed), " << total_needs << " out of scope\n";
  for (const auto& [id, reason] : skips) {
    INFO("skip list names a case that does not exist or needs no skip: " << id);
    CHECK(used_skips.count(id) == 1);
  }
  // The skip list stays within 2% of the runnable cases.
  CHECK(total_skip * 50 <= total_pass + total_fail + total_skip);
  CHECK(total_fail == 0);
}
