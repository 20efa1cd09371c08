#include "cel/checker/cost_estimate.h"

#include <catch2/catch.hpp>

#include "cel/runtime/program.h"

namespace clausegate::cel::checker {
namespace {

constexpr uint64_t kUnbounded = UINT64_MAX;

// The estimate of `expr` with `x` dyn, `s` a string and `l` a list(int) declared.
uint64_t Estimate(const std::string& expr) {
  Env env;
  env.DeclareVariable("x");
  env.DeclareVariable("s", Type::String());
  env.DeclareVariable("l", Type::List(Type::Int()));
  auto r = Compile(expr, env);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.estimated_cost);
  return r.estimated_cost->max;
}

// Each figure is what cel-go v0.29.2 estimates with Kubernetes' cost functions and a
// size estimator that bounds what variables hold by the 3 MiB request size (the
// differential test compares thousands more).
TEST_CASE("cost estimate: Kubernetes' figures", "[cel][checker][cost]") {
  CHECK(Estimate("[1, 2, 3].exists(i, i > 2)") == 29);
  CHECK(Estimate("['a', 'bc'].filter(s, s.size() > 1)") == 53);
  CHECK(Estimate("lists.range(5).slice(1, 3)") == 29);
  CHECK(Estimate("x.a.b == 'x'") == 2);
  CHECK(Estimate("x.spec.containers.all(c, c.image.startsWith('r/'))") == 15728642);
  CHECK(Estimate("x.name.matches('^[a-z]+$')") == 629147);
  CHECK(Estimate("x.labels.exists_one(k, k.startsWith('app'))") == 12582915);
  CHECK(Estimate("x.items.transformMap(k, v, v + 1)") == 15728672);
  CHECK(Estimate("x.l.sortBy(e, e.n)") == 20780810659466);
  CHECK(Estimate("sets.contains(x.a, [1, 2])") == 6291468);
  CHECK(Estimate("x.s.replace('a', 'bb')") == 629147);
  CHECK(Estimate("has(x.a) && x.b.contains('y')") == 314575);
  CHECK(Estimate("quantity(x.q).isGreaterThan(quantity('1Gi'))") == 314576);
  CHECK(Estimate("x.a[0] + 'b'") == 314575);
  CHECK(Estimate("string(b'abc') + strings.quote(x.s)") == 943722);
  CHECK(Estimate("x.cidrs.exists(c, cidr(c).containsIP(x.ip))") == 1979153645570);
  CHECK(Estimate("x.a.all(i, v, i < 10 && v != '')") == 18874370);
  CHECK(Estimate("l.map(i, i * 2).sum() + s.size()") == 47185935);
  CHECK(Estimate("sets.contains(l, [1, 2]) && l.sort() == l") == 19791215906022);
  // Sizes nothing bounds: what .? and orValue() yield, a split's parts joined.
  CHECK(Estimate("x.?a.orValue([]).map(c, c.name)") == kUnbounded);
  CHECK(Estimate("'a,b'.split(',').join('-')") == 1844674407370955265);
  CHECK(Estimate("x.optional.optMap(v, v + 'a')") == 1844674407370955280);
}

TEST_CASE("cost estimate: a load limit refuses what it exceeds", "[cel][checker][cost]") {
  Env env;
  env.DeclareVariable("x");
  CompileOptions options;
  options.estimated_cost_limit = 1'000'000;
  auto cheap = Compile("x.name == 'a'", env, options);
  CHECK_FALSE(cheap.error);
  auto costly = Compile("x.spec.containers.all(c, c.image.startsWith('r/'))", env, options);
  REQUIRE(costly.error);
  CHECK(costly.error->message ==
        "estimated cost 15728642 exceeds the limit of 1000000 by a factor of 15.7x (Kubernetes' estimate, for objects "
        "up to the 3 MiB request size)");
  CHECK(costly.error->position.line == 1);
  CHECK(costly.error->position.column == 1);
  auto unbounded = Compile("x.?a.orValue([]).map(c, c.name)", env, options);
  REQUIRE(unbounded.error);
  CHECK(unbounded.error->message.starts_with("estimated cost unbounded exceeds the limit of 1000000 ("));
  // Unchecked (conformance) compiles are not estimated.
  options.check = false;
  options.strict = false;
  CHECK_FALSE(Compile("x.spec.containers.all(c, c.image.startsWith('r/'))", env, options).estimated_cost);
}

}  // namespace
}  // namespace clausegate::cel::checker
