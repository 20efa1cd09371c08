#include "cel/checker/checker.h"

#include <catch2/catch.hpp>

#include "cel/checker/declarations.h"
#include "cel/checker/types.h"
#include "cel/runtime/program.h"

namespace clausegate::cel::checker {
namespace {

// The first issue of checking `expr` ("" when it checks), with `x` dyn, `s` a
// string and `l` a list(int) declared.
std::string Issue(const std::string& expr, Profile profile = Profile::kKubernetes) {
  Env env(profile);
  env.DeclareVariable("x");
  env.DeclareVariable("s", Type::String());
  env.DeclareVariable("l", Type::List(Type::Int()));
  auto r = Compile(expr, env);
  return r.error ? r.error->message : "";
}

std::string TypeOf(const std::string& expr) {
  Env env;
  env.DeclareVariable("x");
  env.DeclareVariable("s", Type::String());
  env.DeclareVariable("l", Type::List(Type::Int()));
  auto r = Compile(expr, env);
  return r.error ? "error: " + r.error->message : FormatType(r.type);
}

TEST_CASE("checker: types print and read back as cel-go writes them", "[cel][checker]") {
  for (const char* t : {"int", "list(string)", "map(string, list(dyn))", "optional_type(int)", "timestamp",
                        "duration", "null", "type(int)", "kubernetes.Quantity", "A", "list(optional_type(V))"}) {
    auto parsed = ParseType(t);
    REQUIRE(parsed);
    CHECK(FormatType(*parsed) == t);
  }
  CHECK_FALSE(ParseType("list(int"));
  CHECK_FALSE(ParseType("map(int)x"));
  CHECK(FormatType(*ParseType("google.protobuf.Timestamp")) == "timestamp");
}

TEST_CASE("checker: results are typed where the types are known", "[cel][checker]") {
  CHECK(TypeOf("1 + 2") == "int");
  CHECK(TypeOf("x.a") == "dyn");
  CHECK(TypeOf("l.map(i, string(i))") == "list(string)");
  CHECK(TypeOf("{'a': l}") == "map(string, list(int))");
  CHECK(TypeOf("[]") == "list(dyn)");
  CHECK(TypeOf("l[0]") == "int");
  CHECK(TypeOf("x.?a") == "optional_type(dyn)");
  CHECK(TypeOf("optional.of(s).orValue('')") == "string");
  CHECK(TypeOf("true ? 1 : x") == "dyn");
  CHECK(TypeOf("string(x)") == "string");  // every overload yields string
  CHECK(TypeOf("l.transformMap(i, v, v > 0)") == "map(int, bool)");
  CHECK(TypeOf("[1].transformMapEntry(i, v, {string(v): i})") == "map(string, int)");
  CHECK(TypeOf("type(1)") == "type(int)");
}

TEST_CASE("checker: refusals as the API server words them", "[cel][checker]") {
  CHECK(Issue("'a' + 1") == "found no matching overload for '_+_' applied to '(string, int)'");
  CHECK(Issue("s.contains(1)") == "found no matching overload for 'contains' applied to 'string.(int)'");
  CHECK(Issue("1 == 1.0") == "found no matching overload for '_==_' applied to '(int, double)'");
  CHECK(Issue("1 < 1.0") == "");  // cross-type numeric ordering is declared
  CHECK(Issue("true ? 'a' : null") == "found no matching overload for '_?_:_' applied to '(bool, string, null)'");
  CHECK(Issue("l.all(i, i)") == "expected type 'bool' but found 'int'");
  CHECK(Issue("l.exists_one(i, 1)") == "found no matching overload for '_?_:_' applied to '(int, int, int)'");
  CHECK(Issue("l.filter(i, 1)") ==
        "found no matching overload for '_?_:_' applied to '(int, list(int), list(int))'");
  CHECK(Issue("1 && true") == "expected type 'bool' but found 'int'");
  CHECK(Issue("s.a") == "type 'string' does not support field selection");
  CHECK(Issue("1.all(i, true)") ==
        "expression of type 'int' cannot be range of a comprehension (must be list, map, or dynamic)");
  CHECK(Issue("nope") == "undeclared reference to 'nope' (in container '')");
  CHECK(Issue("nope(1)") == "undeclared reference to 'nope' (in container '')");
}

TEST_CASE("checker: mixed literals are refused outside format()", "[cel][checker]") {
  CHECK(Issue("[1, 'a']") == "expected type 'int' but found 'string'");
  CHECK(Issue("[1, x]") == "expected type 'int' but found 'dyn'");
  CHECK(Issue("[x, 1]") == "expected type 'dyn' but found 'int'");
  CHECK(Issue("{'a': 1, 'b': x}") == "expected type 'int' but found 'dyn'");
  CHECK(Issue("{'a': 1, 2: 1}") == "expected type 'string' but found 'int'");
  CHECK(Issue("[[], [1]]") == "");
  CHECK(Issue("[null, 1]") == "expected type 'null' but found 'int'");
  CHECK(Issue("[dyn(1), dyn('a')]") == "");
  CHECK(Issue("'%s %s'.format([1, 'a'])") == "");
  CHECK(Issue("'%s'.format([[1, 'a']])") == "");
}

TEST_CASE("checker: literal arguments are validated when compiled", "[cel][checker]") {
  CHECK(Issue("duration('1x')") == "invalid duration argument");
  CHECK(Issue("timestamp('2024-13-01T00:00:00Z')") == "invalid timestamp argument");
  CHECK(Issue("timestamp(253402300800)") == "invalid timestamp argument");
  CHECK(Issue("s.matches('(')") == "invalid matches argument");
  CHECK(Issue("matches('(', s)") == "invalid matches argument");  // cel-go checks the first argument
  CHECK(Issue("duration('1h')") == "");
  // Constant conversions are computed when the program is built, as the API server does.
  CHECK(Issue("true ? 1 : int('x')") == "program instantiation failed: cannot convert 'x' to int");
  CHECK(Issue("uint(-0.5) == 0u") == "program instantiation failed: uint out of range");
  CHECK(Issue("int(s) == 1") == "");
}

TEST_CASE("checker: sortBy and the overload order that binds type parameters", "[cel][checker]") {
  CHECK(TypeOf("l.sortBy(i, -i)") == "list(int)");
  CHECK(Issue("l.sortBy(i, [i])") ==
        "found no matching overload for '@sortByAssociatedKeys' applied to 'list(int).(list(list(int)))'");
  // v > 0 binds v to int (the first overload of _>_ that applies), so v + 1 checks.
  CHECK(Issue("{}.transformMap(k, v, v > 0, v + 1)") == "");
  CHECK(TypeOf("optional.unwrap([optional.of(1)])") == "list(int)");
}

TEST_CASE("checker: format() of a literal is checked as the strings extension checks it", "[cel][checker]") {
  CHECK(Issue("'%f'.format([3])") ==
        "error during formatting: fixed-point clause can only be used on doubles, was given int");
  CHECK(Issue("'%s %s'.format(['a'])") == "index 1 out of range");
  CHECK(Issue("'%s'.format(['a', 'b'])") == "too many arguments supplied to string.format (expected 1, got 2)");
  CHECK(Issue("'%'.format([])") == "unexpected end of string");
  CHECK(Issue("'%z'.format([1])") == "could not parse formatting clause: unrecognized formatting clause \"z\"");
  CHECK(Issue("'%s'.format([[optional.of(1)]])") ==
        "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, "
        "types, durations, and timestamps, was given optional_type");
  CHECK(Issue("'%d %s'.format([x, x])") == "");
  CHECK(Issue("'%s'.format(x)") == "");  // not a list literal: checked when evaluated
}

TEST_CASE("checker: typed variables", "[cel][checker]") {
  Env env;
  env.DeclareVariable("now", Type::Timestamp());
  CHECK(Compile("now + duration('1h') > now", env).error == std::nullopt);
  auto bad = Compile("now + 1", env);
  REQUIRE(bad.error);
  CHECK(bad.error->message == "found no matching overload for '_+_' applied to '(timestamp, int)'");
}

TEST_CASE("checker: the clausegate profile adds its extras; Kubernetes refuses them", "[cel][checker]") {
  CHECK(Issue("math.greatest(1, 2)") == "undeclared reference to 'math' (in container '')");
  CHECK(Issue("cel.bind(y, 1, y + 1)") == "undeclared reference to 'cel' (in container '')");
  CHECK(Issue("s.reverse()") == "found no matching overload for 'reverse' applied to 'string.()'");
  CHECK(Issue("l.existsOne(i, i > 0)") == "undeclared reference to 'existsOne' (in container '')");
  CHECK(Issue("l.existsOne(i, v, v > 0)") == "");
  for (const char* e : {"math.greatest(1, 2)", "cel.bind(y, 1, y + 1)", "s.reverse()", "l.existsOne(i, i > 0)"}) {
    CHECK(Issue(e, Profile::kClausegate) == "");
  }
}

TEST_CASE("checker: the Kubernetes declarations are the 1.37 environment's", "[cel][checker]") {
  auto k8s = Declarations::Build(Profile::kKubernetes);
  auto extra = Declarations::Build(Profile::kClausegate);
  CHECK(k8s->Lines().size() == 345);  // as `cel-oracle decls` lists them (compared line by line in cel_differential)
  CHECK(extra->Lines().size() > k8s->Lines().size());
  CHECK(k8s->Find("math.greatest") == nullptr);
  REQUIRE(k8s->Find("size") != nullptr);
  CHECK(k8s->Find("size")->size() == 8);
}

}  // namespace
}  // namespace clausegate::cel::checker
