#pragma once
// Splits CEL source text into tokens. Literal text is kept raw; the parser decodes it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::cel {

enum class TokenKind {
  kEnd,
  kError,  // text holds the message
  kIdent,
  kQuotedIdent,  // `a.b-c` (only valid after '.')
  kInt,          // decimal or hex, without sign or suffix
  kUint,         // with u/U suffix (text without it)
  kDouble,
  kString,  // raw token text including prefix and quotes
  kBytes,
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace,
  kDot, kComma, kColon, kQuestion,
  kPlus, kMinus, kStar, kSlash, kPercent, kBang,
  kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;
  uint32_t offset = 0;
};

// Tokenizes the whole input. Stops at the first error, which becomes the last token
// (kError, with the message in `error`).
class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}
  Token Next();
  const std::string& error() const { return error_; }

 private:
  Token Make(TokenKind k, size_t start) const;
  Token Fail(std::string msg, size_t at);
  Token LexNumber(size_t start);
  Token LexString(size_t start, bool raw, bool bytes);

  std::string_view src_;
  size_t pos_ = 0;
  std::string error_;
};

// Decodes the body of a string or bytes literal token (as produced by the lexer) into
// UTF-8 text or raw bytes. Returns false with a message on an invalid escape.
bool DecodeStringLiteral(std::string_view token, std::string* out, std::string* error, size_t* error_offset);

// Identifiers CEL reserves; they cannot name variables or functions.
bool IsReservedWord(std::string_view word);

}  // namespace clausegate::cel
