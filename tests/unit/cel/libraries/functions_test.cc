// One section per function family; the conformance suite covers breadth, these
// pin the behaviours policies rely on and the edges the suite does not reach.

#include <catch2/catch.hpp>

#include "../runtime/eval_helpers.h"

using namespace clausegate::cel;
using namespace clausegate::cel::testing;

// Kubernetes 1.37's format() (the policies' profile); the runtime tests above use
// cel-spec's, as the clausegate profile does.
std::string K8sFormat(const std::string& expr) {
  Env env(checker::Profile::kKubernetes);
  auto c = Compile(expr, env);
  if (c.error) return "compile: " + c.error->message;
  Activation act(env);
  Value v = c.program->Evaluate(act);
  return v.is_error() ? "error: " + v.error_message() : std::string(v.string_value());
}

TEST_CASE("functions: format() as Kubernetes 1.37 formats", "[cel][functions]") {
  CHECK(K8sFormat("'%.2f'.format([1234.5])") == "1,234.50");
  CHECK(K8sFormat("'%.2f'.format([0.125])") == "0.12");
  CHECK(K8sFormat("'%f'.format([-0.0])") == "0.000000");
  CHECK(K8sFormat("'%.2f'.format([-0.0001])") == "-0.00");
  CHECK(K8sFormat("'%f'.format([double('-inf')])") == "-∞");
  CHECK(K8sFormat("'%f'.format(['NaN'])") == "NaN");
  CHECK(K8sFormat("'%e'.format([1234.5])") == "1.234500×10⁰³");
  CHECK(K8sFormat("'%e'.format([0.000123456789])") == "1.234568×10⁻⁰⁴");
  CHECK(K8sFormat("'%.10e'.format([double('nan')])") == "       NaN");  // the precision is a width
  CHECK(K8sFormat("'%s'.format([[1, 'a', 2.5, b'b', null, double('inf')]])") ==
        "[1, \"a\", 2.500000, b\"b\", null, \"+Inf\"]");
  CHECK(K8sFormat("'%s'.format([{'b': [1], 'a': {'x': 1.0}}])") == "{\"a\":{\"x\":1.000000}, \"b\":[1]}");
  CHECK(K8sFormat("'%s'.format([[timestamp(0), duration('1m')]])") ==
        "[timestamp(\"1970-01-01T00:00:00Z\"), duration(\"60s\")]");
  CHECK(K8sFormat("'%s'.format([dyn(b'\\xff')])").starts_with("error: error during formatting: could not convert"));
  CHECK(K8sFormat("'%x %X %o %b'.format([-255, b'\\x01\\xff', -8, true])") == "-ff 01FF -10 1");
  CHECK(K8sFormat("'%.1000f'.format([1.0])").size() == 234);  // the precision is kept in a byte
  CHECK(K8sFormat("'%s'.format(dyn([[optional.of(1)]]))") ==
        "error: error during formatting: no formatting function for optional_type");
}

TEST_CASE("functions: sortBy, optional.unwrap and unwrapOpt", "[cel][functions]") {
  CHECK(EvalTagged("['bb', 'a', 'ccc'].sortBy(s, s.size())") ==
        R"({"list":[{"string":"a"},{"string":"bb"},{"string":"ccc"}]})");
  CHECK(EvalTagged("[2, 1, 2, 1].sortBy(x, 0)") == R"({"list":[{"int":"2"},{"int":"1"},{"int":"2"},{"int":"1"}]})");
  CHECK(EvalError("[1, 2].sortBy(x, x == 1 ? dyn(1) : dyn('a'))") == "list elements must have the same type");
  CHECK(EvalError("[1].sortBy(x, [x])") == "list elements must be comparable");
  CHECK(EvalError("dyn({'a': 1}).sortBy(x, x)").starts_with("no such overload"));
  CHECK(EvalError("{}.sortBy(x, x)").starts_with("compile: sortBy can only be applied to"));
  CHECK(EvalTagged("optional.unwrap([optional.of(1), optional.none()])") == R"({"list":[{"int":"1"}]})");
  CHECK(EvalTagged("[optional.none(), optional.of('a')].unwrapOpt()") == R"({"list":[{"string":"a"}]})");
  CHECK(EvalError("optional.unwrap([1])") == "value 1 is not optional");
  CHECK(EvalError("[1, 1].transformMapEntry(i, v, {v: i})") == "insert failed: key 1 already exists");
}

TEST_CASE("functions: arithmetic and overflow", "[cel][functions]") {
  CHECK(EvalTagged("7 / 2") == R"({"int":"3"})");
  CHECK(EvalTagged("-7 % 3") == R"({"int":"-1"})");
  CHECK(EvalTagged("7u / 2u") == R"({"uint":"3"})");
  CHECK(EvalTagged("1.0 / 0.0") == R"({"double":"Infinity"})");
  CHECK(EvalError("9223372036854775807 + 1") == "integer overflow");
  CHECK(EvalError("-9223372036854775808 - 1") == "integer overflow");
  CHECK(EvalError("-9223372036854775808 / -1") == "integer overflow");
  CHECK(EvalError("0u - 1u") == "integer overflow");
  CHECK(EvalError("18446744073709551615u * 2u") == "integer overflow");
  CHECK(EvalError("1 / 0") == "division by zero");
  CHECK(EvalError("1 % 0") == "modulus by zero");
  CHECK(EvalError("1 + 1u").starts_with("no such overload"));
  CHECK(EvalError("-(1u)").starts_with("no such overload"));
}

TEST_CASE("functions: conversions", "[cel][functions]") {
  CHECK(EvalTagged("int('-42')") == R"({"int":"-42"})");
  CHECK(EvalError("int('4x')") != "");
  CHECK(EvalError("int(' 4')") != "");
  CHECK(EvalTagged("uint(3.9)") == R"({"uint":"3"})");
  CHECK(EvalError("uint(-1)") == "uint out of range");
  CHECK(EvalTagged("double('1e3')") == R"({"double":1000.0})");
  CHECK(EvalError("double('0x10')") != "");  // as Go's ParseFloat
  CHECK(EvalTagged("string(1e6)") == R"({"string":"1e+06"})");
  CHECK(EvalTagged("string(1.5)") == R"({"string":"1.5"})");
  CHECK(EvalTagged("string(true)") == R"({"string":"true"})");
  CHECK(EvalError("string(b'\\xff')") != "");
  CHECK(EvalTagged("bytes('ÿ')") == R"({"bytes_b64":"w78="})");
  CHECK(EvalTagged("bool('True')") == R"({"bool":true})");
  CHECK(EvalTagged("type(1) == int && type('a') == string && type(dyn([])) == list") == R"({"bool":true})");
  CHECK(EvalTagged("dyn(1) == 1.0") == R"({"bool":true})");
}

TEST_CASE("functions: size and string predicates", "[cel][functions]") {
  CHECK(EvalTagged("size('héllo')") == R"({"int":"5"})");  // code points
  CHECK(EvalTagged("size(b'h\\xc3\\xa9')") == R"({"int":"3"})");
  CHECK(EvalTagged("[1, 2].size() + {'a': 1}.size()") == R"({"int":"3"})");
  CHECK(EvalTagged("'registry.io/app'.startsWith('registry.io/')") == R"({"bool":true})");
  CHECK(EvalTagged("'app:latest'.endsWith(':latest')") == R"({"bool":true})");
  CHECK(EvalTagged("'abc'.contains('')") == R"({"bool":true})");
}

TEST_CASE("functions: timestamps and durations", "[cel][functions]") {
  CHECK(EvalTagged("timestamp('2024-02-29T12:00:00Z').getMonth()") == R"({"int":"1"})");
  CHECK(EvalTagged("timestamp('2024-02-29T12:00:00Z').getDayOfMonth()") == R"({"int":"28"})");
  CHECK(EvalTagged("timestamp('2024-02-29T23:30:00Z').getDate('Europe/Berlin')") == R"({"int":"1"})");
  CHECK(EvalTagged("timestamp('2024-07-01T00:00:00Z').getHours('America/New_York')") == R"({"int":"20"})");
  CHECK(EvalTagged("string(timestamp('2024-01-01T00:00:00+01:00'))") == R"({"string":"2024-01-01T00:00:00+01:00"})");
  CHECK(EvalTagged("duration('1h30m').getMinutes()") == R"({"int":"90"})");
  CHECK(EvalTagged("string(duration('1.5s'))") == R"({"string":"1.5s"})");
  CHECK(EvalTagged("timestamp('2024-01-02T00:00:00Z') - timestamp('2024-01-01T00:00:00Z') == duration('24h')") ==
        R"({"bool":true})");
  CHECK(EvalError("timestamp('2024-13-01T00:00:00Z')") != "");
  // A literal zone is loaded when the expression is compiled; a bad one fails when
  // evaluated, as in cel-go.
  CHECK(EvalError("timestamp('2024-01-01T00:00:00Z').getHours('Mars/Olympus')") == "unknown time zone Mars/Olympus");
  // A computed zone is loaded when evaluated.
  CHECK(EvalTagged("timestamp('2024-07-01T00:00:00Z').getHours('America/' + 'New_York')") == R"({"int":"20"})");
  CHECK(EvalError("timestamp('2024-01-01T00:00:00Z').getHours('Mars/' + 'Olympus')") ==
        "unknown time zone Mars/Olympus");
  CHECK(EvalError("timestamp('2024-01-01T00:00:00Z').getHours('../../etc/passwd')") != "");
  CHECK(EvalError("duration('1y')") != "");
}

TEST_CASE("functions: strings extension", "[cel][functions]") {
  CHECK(EvalTagged("'héllo'.charAt(1)") == R"({"string":"é"})");
  CHECK(EvalTagged("'héllo'.indexOf('l')") == R"({"int":"2"})");
  CHECK(EvalTagged("'héllo'.lastIndexOf('l')") == R"({"int":"3"})");
  CHECK(EvalTagged("'a,b,,c'.split(',')") == R"({"list":[{"string":"a"},{"string":"b"},{"string":""},{"string":"c"}]})");
  CHECK(EvalTagged("'a,b,c'.split(',', 2)") == R"({"list":[{"string":"a"},{"string":"b,c"}]})");
  CHECK(EvalTagged("'aaa'.replace('a', 'b', 2)") == R"({"string":"bba"})");
  CHECK(EvalTagged("'  x \\t'.trim()") == R"({"string":"x"})");
  CHECK(EvalTagged("['a', 'b'].join('-')") == R"({"string":"a-b"})");
  CHECK(EvalTagged("'MiXed'.lowerAscii() + 'MiXed'.upperAscii()") == R"({"string":"mixedMIXED"})");
  CHECK(EvalTagged("'héllo'.substring(1, 3)") == R"({"string":"él"})");
  CHECK(EvalTagged("'abc'.reverse()") == R"({"string":"cba"})");
  CHECK(EvalTagged("strings.quote('a\"b')") == R"({"string":"\"a\\\"b\""})");
  CHECK(EvalTagged("'%s has %d containers (%.1f%%)'.format(['web', 3, 12.345])") ==
        R"x({"string":"web has 3 containers (12.3%)"})x");
  CHECK(EvalError("[1, 'a'].join()").starts_with("no such overload"));
}

TEST_CASE("functions: regular expressions (RE2)", "[cel][functions]") {
  CHECK(EvalTagged("'nginx:1.27'.matches('^[a-z]+:[0-9.]+$')") == R"({"bool":true})");
  CHECK(EvalTagged("matches('abc', 'b')") == R"({"bool":true})");  // unanchored, like cel-go
  CHECK(EvalTagged("'a1b22c333'.find('[0-9]+')") == R"({"string":"1"})");
  CHECK(EvalTagged("'a1b22c333'.findAll('[0-9]+')") ==
        R"({"list":[{"string":"1"},{"string":"22"},{"string":"333"}]})");
  CHECK(EvalTagged("'a1b22c333'.findAll('[0-9]+', 2)") == R"({"list":[{"string":"1"},{"string":"22"}]})");
  CHECK(EvalTagged("'x'.find('y')") == R"({"string":""})");
  // Empty matches as Go's FindAllString has them.
  CHECK(EvalTagged("'abc'.findAll('b*')") == R"({"list":[{"string":""},{"string":"b"},{"string":""}]})");
  CHECK(EvalTagged("'é'.findAll('').size()") == R"({"int":"2"})");
  // A pattern computed at run time is compiled then; an invalid one is an error value.
  CHECK(EvalError("'a'.matches('(' + 'x')").starts_with("invalid regular expression"));
  // A literal invalid pattern is rejected when the expression is compiled.
  CHECK(EvalError("'a'.matches('(')").starts_with("compile: invalid regular expression"));
  // Arguments that do not fit the prepared overload fall back to ordinary dispatch.
  CHECK(EvalError("dyn(1).matches('x')").starts_with("no such overload"));
  // RE2 has no backreferences: linear time is guaranteed.
  CHECK(EvalError("'aa'.matches('(a)\\\\1')").starts_with("compile:"));
}

TEST_CASE("functions: math extension", "[cel][functions]") {
  CHECK(EvalTagged("math.greatest(1, 2.5, 3u)") == R"({"uint":"3"})");
  CHECK(EvalTagged("math.least([4, -1, 2])") == R"({"int":"-1"})");
  CHECK(EvalError("math.least([])") != "");
  CHECK(EvalTagged("math.abs(-3)") == R"({"int":"3"})");
  CHECK(EvalTagged("math.round(2.5)") == R"({"double":3.0})");
  CHECK(EvalTagged("math.bitShiftRight(-1, 60)") == R"({"int":"15"})");
  CHECK(EvalTagged("math.sqrt(16)") == R"({"double":4.0})");
}

TEST_CASE("functions: lists", "[cel][functions]") {
  CHECK(EvalTagged("[1, 2, 2, 3].isSorted() && ![2, 1].isSorted()") == R"({"bool":true})");
  CHECK(EvalTagged("[1, 2, 3].sum()") == R"({"int":"6"})");
  CHECK(EvalTagged("[].sum()") == R"({"int":"0"})");
  CHECK(EvalTagged("[3, 1, 2].min()") == R"({"int":"1"})");
  CHECK(EvalTagged("['b', 'c', 'a'].max()") == R"({"string":"c"})");
  CHECK(EvalError("[].max()") != "");
  CHECK(EvalTagged("[1, 2, 1].indexOf(1)") == R"({"int":"0"})");
  CHECK(EvalTagged("[1, 2, 1].lastIndexOf(1)") == R"({"int":"2"})");
  CHECK(EvalTagged("[1, 2, 3, 4].slice(1, 3)") == R"({"list":[{"int":"2"},{"int":"3"}]})");
  CHECK(EvalTagged("[[1], [2, [3]]].flatten()") == R"({"list":[{"int":"1"},{"int":"2"},{"list":[{"int":"3"}]}]})");
  CHECK(EvalTagged("[1, 1u, 2].distinct()") == R"({"list":[{"int":"1"},{"int":"2"}]})");
  CHECK(EvalTagged("[3, 1, 2].sort()") == R"({"list":[{"int":"1"},{"int":"2"},{"int":"3"}]})");
  CHECK(EvalTagged("[1, 2].reverse()") == R"({"list":[{"int":"2"},{"int":"1"}]})");
  CHECK(EvalTagged("[].first().hasValue() || [5].last().value() == 5") == R"({"bool":true})");
  CHECK(EvalTagged("lists.range(3)") == R"({"list":[{"int":"0"},{"int":"1"},{"int":"2"}]})");
  CHECK(EvalError("[1, 'a'].sort()").starts_with("no such overload"));
}

TEST_CASE("functions: optionals", "[cel][functions]") {
  CHECK(EvalTagged("{'a': 1}.?a.orValue(0) + {'a': 1}.?b.orValue(10)") == R"({"int":"11"})");
  CHECK(EvalTagged("[1, 2][?5].orValue(-1)") == R"({"int":"-1"})");
  CHECK(EvalTagged("optional.of(1).or(optional.of(2)).value()") == R"({"int":"1"})");
  CHECK(EvalTagged("optional.ofNonZeroValue('').hasValue()") == R"({"bool":false})");
  CHECK(EvalTagged("optional.of({'a': {'b': 1}}).a.b.value()") == R"({"int":"1"})");
  CHECK(EvalTagged("optional.of(2).optMap(x, x * 2).value()") == R"({"int":"4"})");
  CHECK(EvalTagged("[?optional.none(), ?optional.of(1)]") == R"({"list":[{"int":"1"}]})");
  CHECK(EvalTagged("{?'a': optional.none(), 'b': 2}") == R"({"map":[[{"string":"b"},{"int":"2"}]]})");
  CHECK(EvalError("optional.none().value()") != "");
}

TEST_CASE("functions: cel.bind", "[cel][functions]") {
  CHECK(EvalTagged("cel.bind(x, 2, x * x + cel.bind(y, x + 1, y))") == R"({"int":"7"})");
  CHECK(EvalTagged("cel.bind(l, [1, 2], l.all(x, x in l))") == R"({"bool":true})");
}

TEST_CASE("sets extension", "[cel][sets]") {
  CHECK(EvalTagged("sets.contains([1, 2, 3], [2, 3.0])") == R"({"bool":true})");
  CHECK(EvalTagged("sets.contains([1], [1, 2])") == R"({"bool":false})");
  CHECK(EvalTagged("sets.contains([], [])") == R"({"bool":true})");
  CHECK(EvalTagged("sets.equivalent([1, 1, 2], [2u, 1])") == R"({"bool":true})");
  CHECK(EvalTagged("sets.equivalent([1], [1, 3])") == R"({"bool":false})");
  CHECK(EvalTagged("sets.intersects([1, 'a'], ['a'])") == R"({"bool":true})");
  CHECK(EvalTagged("sets.intersects([], [1])") == R"({"bool":false})");
}

TEST_CASE("Kubernetes lists library: includes", "[cel][lists]") {
  CHECK(EvalTagged("[1, 2, 3].includes(2)") == R"({"bool":true})");
  CHECK(EvalTagged("[1, 2, 3].includes(4)") == R"({"bool":false})");
  CHECK(EvalTagged("'model-a'.includes('model-a')") == R"({"bool":true})");
  CHECK(EvalTagged("'model-a'.includes('model-b')") == R"({"bool":false})");
}
