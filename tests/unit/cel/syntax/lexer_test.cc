#include <catch2/catch.hpp>

#include "cel/syntax/lexer.h"

using namespace clausegate::cel;

namespace {
std::vector<Token> Lex(std::string_view src) {
  Lexer lx(src);
  std::vector<Token> out;
  while (true) {
    Token t = lx.Next();
    out.push_back(t);
    if (t.kind == TokenKind::kEnd || t.kind == TokenKind::kError) break;
  }
  return out;
}
std::vector<TokenKind> Kinds(std::string_view src) {
  std::vector<TokenKind> k;
  for (auto& t : Lex(src)) k.push_back(t.kind);
  return k;
}
std::string Decode(std::string_view tok) {
  std::string out, err;
  size_t off = 0;
  if (!DecodeStringLiteral(tok, &out, &err, &off)) return "ERR:" + err;
  return out;
}
}  // namespace

TEST_CASE("lexer: numbers", "[cel][lexer]") {
  CHECK(Kinds("42") == std::vector{TokenKind::kInt, TokenKind::kEnd});
  CHECK(Kinds("0x1F") == std::vector{TokenKind::kInt, TokenKind::kEnd});
  CHECK(Kinds("7u 7U 0x7u") == std::vector{TokenKind::kUint, TokenKind::kUint, TokenKind::kUint, TokenKind::kEnd});
  CHECK(Kinds("1.5 1e3 2.5E-2 .5") ==
        std::vector{TokenKind::kDouble, TokenKind::kDouble, TokenKind::kDouble, TokenKind::kDouble, TokenKind::kEnd});
  // "1." is the int 1 followed by a dot (member access), as in the grammar.
  CHECK(Kinds("1.") == std::vector{TokenKind::kInt, TokenKind::kDot, TokenKind::kEnd});
  auto toks = Lex("7u");
  CHECK(toks[0].text == "7");
}

TEST_CASE("lexer: operators and keywords", "[cel][lexer]") {
  CHECK(Kinds("a && b || !c") == std::vector{TokenKind::kIdent, TokenKind::kAnd, TokenKind::kIdent, TokenKind::kOr,
                                              TokenKind::kBang, TokenKind::kIdent, TokenKind::kEnd});
  CHECK(Kinds("== != < <= > >= in") == std::vector{TokenKind::kEq, TokenKind::kNe, TokenKind::kLt, TokenKind::kLe,
                                                    TokenKind::kGt, TokenKind::kGe, TokenKind::kIn, TokenKind::kEnd});
  CHECK(Kinds("true false null") == std::vector{TokenKind::kTrue, TokenKind::kFalse, TokenKind::kNull, TokenKind::kEnd});
  CHECK(Kinds("a.?b[?0]") == std::vector{TokenKind::kIdent, TokenKind::kDot, TokenKind::kQuestion, TokenKind::kIdent,
                                          TokenKind::kLBracket, TokenKind::kQuestion, TokenKind::kInt,
                                          TokenKind::kRBracket, TokenKind::kEnd});
  CHECK(Kinds("x // comment\n + 1") == std::vector{TokenKind::kIdent, TokenKind::kPlus, TokenKind::kInt, TokenKind::kEnd});
  auto q = Lex("`content-type`");
  CHECK(q[0].kind == TokenKind::kQuotedIdent);
  CHECK(q[0].text == "content-type");
}

TEST_CASE("lexer: errors carry their offset", "[cel][lexer]") {
  auto t = Lex("a = b");
  CHECK(t.back().kind == TokenKind::kError);
  CHECK(t.back().offset == 2);
  CHECK(Lex("'unterminated").back().kind == TokenKind::kError);
  CHECK(Lex("'new\nline'").back().kind == TokenKind::kError);
  CHECK(Lex("a & b").back().kind == TokenKind::kError);
  CHECK(Lex("#").back().kind == TokenKind::kError);
}

TEST_CASE("lexer: string and bytes literals", "[cel][lexer]") {
  CHECK(Kinds("'a' \"b\" '''c''' \"\"\"d\"\"\" r'e' R\"f\"") ==
        std::vector{TokenKind::kString, TokenKind::kString, TokenKind::kString, TokenKind::kString,
                    TokenKind::kString, TokenKind::kString, TokenKind::kEnd});
  CHECK(Kinds("b'a' B\"b\" rb'c' br'd'") ==
        std::vector{TokenKind::kBytes, TokenKind::kBytes, TokenKind::kBytes, TokenKind::kBytes, TokenKind::kEnd});
  CHECK(Decode("'a\\nb'") == "a\nb");
  CHECK(Decode("r'a\\nb'") == "a\\nb");
  CHECK(Decode("'''multi\nline'''") == "multi\nline");
  CHECK(Decode("'\\x41\\101\\u0041\\U00000041'") == "AAAA");
  CHECK(Decode("'\\377'") == "\xC3\xBF");   // a code point in strings
  CHECK(Decode("b'\\377'") == "\xFF");      // a byte in bytes
  CHECK(Decode("'\\a\\b\\f\\r\\t\\v\\\\\\'\\\"\\`\\?'") == "\a\b\f\r\t\v\\'\"`?");
  CHECK(Decode("'\\q'").starts_with("ERR:"));
  CHECK(Decode("'\\ud800'").starts_with("ERR:"));  // surrogate
  CHECK(Decode("b'\\u0041'").starts_with("ERR:"));
  CHECK(Decode("'\\x4'").starts_with("ERR:"));
}

TEST_CASE("lexer: reserved words", "[cel][lexer]") {
  CHECK(IsReservedWord("if"));
  CHECK(IsReservedWord("namespace"));
  CHECK_FALSE(IsReservedWord("object"));
  CHECK_FALSE(IsReservedWord("in"));  // an operator, not an identifier
}
