#include <catch2/catch.hpp>

#include "cel/syntax/parser.h"

using namespace clausegate::cel;

namespace {
std::string ErrorAt(std::string_view src) {
  auto r = Parse(src);
  if (!r.error) return "ok";
  return std::to_string(r.error->position.line) + ":" + std::to_string(r.error->position.column) + ": " +
         r.error->message;
}

// A compact rendering of the tree for structure checks.
std::string Show(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst: return ValueToString(e.constant);
    case ExprKind::kIdent: return e.name;
    case ExprKind::kSelect:
      return std::string(e.test_only ? "has(" : "") + Show(*e.target) + (e.optional_select ? ".?" : ".") + e.name +
             (e.test_only ? ")" : "");
    case ExprKind::kCall: {
      std::string s = (e.target ? Show(*e.target) + "." : "") + e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + Show(*e.args[i]);
      return s + ")";
    }
    case ExprKind::kList: return "[" + std::to_string(e.args.size()) + "]";
    case ExprKind::kMap: return "{" + std::to_string(e.entries.size()) + "}";
    case ExprKind::kComprehension: return "comprehension(" + e.var1 + (e.var2.empty() ? "" : "," + e.var2) + ")";
  }
  return "?";
}
std::string ShowParse(std::string_view src) {
  auto r = Parse(src);
  return r.error ? "error: " + r.error->message : Show(*r.expr);
}
}  // namespace

TEST_CASE("parser: precedence and associativity", "[cel][parser]") {
  CHECK(ShowParse("1 + 2 * 3") == "_+_(1, _*_(2, 3))");
  CHECK(ShowParse("1 - 2 - 3") == "_-_(_-_(1, 2), 3)");
  CHECK(ShowParse("a || b && c") == "_||_(a, _&&_(b, c))");
  CHECK(ShowParse("a < b == c") == "_==_(_<_(a, b), c)");
  CHECK(ShowParse("a ? b : c ? d : e") == "_?_:_(a, b, _?_:_(c, d, e))");
  CHECK(ShowParse("!a.b") == "!_(a.b)");
  CHECK(ShowParse("-x[0]") == "-_(_[_](x, 0))");
  CHECK(ShowParse("x in [1, 2]") == "@in(x, [2])");
}

TEST_CASE("parser: literals", "[cel][parser]") {
  CHECK(ShowParse("-9223372036854775808") == "-9223372036854775808");
  CHECK(ShowParse("--5") == "-_(-5)");
  CHECK(ShowParse("18446744073709551615u") == "18446744073709551615");
  CHECK(ErrorAt("9223372036854775808").find("out of range") != std::string::npos);
  CHECK(ErrorAt("18446744073709551616u").find("out of range") != std::string::npos);
  CHECK(ShowParse("0x10") == "16");
  CHECK(ShowParse("[1, 2, ]") == "[2]");
  CHECK(ShowParse("{'a': 1, 'b': 2,}") == "{2}");
}

TEST_CASE("parser: members, calls and optional syntax", "[cel][parser]") {
  CHECK(ShowParse("a.b.c") == "a.b.c");
  CHECK(ShowParse("a.?b.c") == "a.?b.c");
  CHECK(ShowParse("a[?0]") == "_[?_](a, 0)");
  CHECK(ShowParse("'x'.size()") == "x.size()");
  CHECK(ShowParse("size(x)") == "size(x)");
  CHECK(ShowParse("a.`b-c`") == "a.b-c");
  CHECK(ShowParse("{'a': 1}.if") == "{1}.if");  // reserved words are fine as field names
  CHECK(ShowParse("has(a.b)") == "has(a.b)");
}

TEST_CASE("parser: macros become comprehensions", "[cel][parser]") {
  CHECK(ShowParse("l.all(x, x > 0)") == "comprehension(x)");
  CHECK(ShowParse("m.exists(k, v, v > 0)") == "comprehension(k,v)");
  CHECK(ShowParse("l.map(x, x > 0, x * 2)") == "comprehension(x)");
  CHECK(ShowParse("cel.bind(x, 1, x + 1)") == "comprehension(x)");
  CHECK(ShowParse("l.all(x)") == "l.all(x)");  // wrong arity: an ordinary call
  CHECK(ErrorAt("l.all(x.y, true)") == "1:8: argument must be a simple name");
  CHECK(ErrorAt("has(a)") == "1:1: invalid argument to has() macro");
}

TEST_CASE("parser: errors carry line and column", "[cel][parser]") {
  CHECK(ErrorAt("1 + ") == "1:5: unexpected end of expression");
  CHECK(ErrorAt("a.b(") == "1:5: unexpected end of expression");
  CHECK(ErrorAt("x\n  && ) ") == "2:6: unexpected ')'");
  CHECK(ErrorAt("if") == "1:1: reserved identifier: if");
  CHECK(ErrorAt("[1, 2") == "1:6: expected ']', found end of expression");
  CHECK(ErrorAt("a = 1") == "1:3: unexpected '=' (did you mean '=='?)");
  CHECK(ErrorAt("'\\q'") == "1:2: invalid escape sequence '\\q'");
  CHECK(ErrorAt("Msg{a: 1}").find("message construction") != std::string::npos);
  CHECK(ErrorAt("1 2") == "1:3: unexpected '2'");
  // Columns count code points, not bytes.
  CHECK(ErrorAt("'é' +") == "1:6: unexpected end of expression");
}

TEST_CASE("parser: depth and size limits", "[cel][parser]") {
  std::string deep(300, '[');
  CHECK(ErrorAt(deep).find("nesting too deep") != std::string::npos);
  std::string parens = std::string(500, '(') + "1" + std::string(500, ')');
  CHECK(ErrorAt(parens).find("nesting too deep") != std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 300; ++i) chain += " + 1";
  CHECK(ErrorAt(chain).find("nesting too deep") != std::string::npos);
  // Long || and && chains are balanced, so they stay within the bound.
  std::string ors = "false";
  for (int i = 0; i < 2000; ++i) ors += " || false";
  CHECK(ErrorAt(ors) == "ok");
  ParseLimits small;
  small.max_source_bytes = 10;
  CHECK(Parse("12345678901", small).error.has_value());
}
