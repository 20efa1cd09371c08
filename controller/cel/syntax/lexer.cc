#include "cel/syntax/lexer.h"

#include <array>

#include "common/utf8.h"

namespace clausegate::cel {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexVal(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

bool IsReservedWord(std::string_view w) {
  static constexpr std::array<std::string_view, 17> kReserved = {
      "as", "break", "const", "continue", "else", "for", "function", "if", "import",
      "let", "loop", "package", "namespace", "return", "var", "void", "while"};
  for (auto r : kReserved) {
    if (r == w) return true;
  }
  return false;
}

Token Lexer::Make(TokenKind k, size_t start) const {
  return Token{k, src_.substr(start, pos_ - start), static_cast<uint32_t>(start)};
}

Token Lexer::Fail(std::string msg, size_t at) {
  error_ = std::move(msg);
  pos_ = src_.size();
  return Token{TokenKind::kError, error_, static_cast<uint32_t>(at)};
}

Token Lexer::Next() {
  // Skip whitespace and // comments.
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
      while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  size_t start = pos_;
  if (pos_ >= src_.size()) return Token{TokenKind::kEnd, {}, static_cast<uint32_t>(pos_)};
  char c = src_[pos_];
  auto peek = [&](size_t k) { return pos_ + k < src_.size() ? src_[pos_ + k] : '\0'; };

  // String and bytes literals with optional r/b prefixes in either order.
  {
    size_t p = pos_;
    bool raw = false, bytes = false;
    for (int i = 0; i < 2 && p < src_.size(); ++i) {
      char d = src_[p];
      if ((d == 'r' || d == 'R') && !raw) {
        raw = true;
        ++p;
      } else if ((d == 'b' || d == 'B') && !bytes) {
        bytes = true;
        ++p;
      } else {
        break;
      }
    }
    if (p < src_.size() && (src_[p] == '"' || src_[p] == '\'') && (raw || bytes || p == pos_)) {
      pos_ = p;
      return LexString(start, raw, bytes);
    }
  }
  if (IsIdentStart(c)) {
    while (pos_ < src_.size() && (IsIdentStart(src_[pos_]) || IsDigit(src_[pos_]))) ++pos_;
    std::string_view w = src_.substr(start, pos_ - start);
    if (w == "true") return Make(TokenKind::kTrue, start);
    if (w == "false") return Make(TokenKind::kFalse, start);
    if (w == "null") return Make(TokenKind::kNull, start);
    if (w == "in") return Make(TokenKind::kIn, start);
    return Make(TokenKind::kIdent, start);
  }
  if (IsDigit(c) || (c == '.' && IsDigit(peek(1)))) return LexNumber(start);
  if (c == '`') {
    ++pos_;
    while (pos_ < src_.size() && src_[pos_] != '`') {
      char d = src_[pos_];
      if (!(IsIdentStart(d) || IsDigit(d) || d == '.' || d == '-' || d == '/' || d == ' ')) {
        return Fail("invalid character in quoted identifier", pos_);
      }
      ++pos_;
    }
    if (pos_ >= src_.size()) return Fail("unterminated quoted identifier", start);
    ++pos_;
    Token t = Make(TokenKind::kQuotedIdent, start);
    t.text = src_.substr(start + 1, pos_ - start - 2);
    if (t.text.empty()) return Fail("empty quoted identifier", start);
    return t;
  }
  ++pos_;
  switch (c) {
    case '(': return Make(TokenKind::kLParen, start);
    case ')': return Make(TokenKind::kRParen, start);
    case '[': return Make(TokenKind::kLBracket, start);
    case ']': return Make(TokenKind::kRBracket, start);
    case '{': return Make(TokenKind::kLBrace, start);
    case '}': return Make(TokenKind::kRBrace, start);
    case '.': return Make(TokenKind::kDot, start);
    case ',': return Make(TokenKind::kComma, start);
    case ':': return Make(TokenKind::kColon, start);
    case '?': return Make(TokenKind::kQuestion, start);
    case '+': return Make(TokenKind::kPlus, start);
    case '-': return Make(TokenKind::kMinus, start);
    case '*': return Make(TokenKind::kStar, start);
    case '/': return Make(TokenKind::kSlash, start);
    case '%': return Make(TokenKind::kPercent, start);
    case '!':
      if (peek(0) == '=') { ++pos_; return Make(TokenKind::kNe, start); }
      return Make(TokenKind::kBang, start);
    case '=':
      if (peek(0) == '=') { ++pos_; return Make(TokenKind::kEq, start); }
      return Fail("unexpected '=' (did you mean '=='?)", start);
    case '<':
      if (peek(0) == '=') { ++pos_; return Make(TokenKind::kLe, start); }
      return Make(TokenKind::kLt, start);
    case '>':
      if (peek(0) == '=') { ++pos_; return Make(TokenKind::kGe, start); }
      return Make(TokenKind::kGt, start);
    case '&':
      if (peek(0) == '&') { ++pos_; return Make(TokenKind::kAnd, start); }
      return Fail("unexpected '&' (did you mean '&&'?)", start);
    case '|':
      if (peek(0) == '|') { ++pos_; return Make(TokenKind::kOr, start); }
      return Fail("unexpected '|' (did you mean '||'?)", start);
    default: break;
  }
  return Fail(std::string("unexpected character '") + c + "'", start);
}

Token Lexer::LexNumber(size_t start) {
  auto at = [&](size_t i) { return i < src_.size() ? src_[i] : '\0'; };
  if (at(pos_) == '0' && (at(pos_ + 1) == 'x' || at(pos_ + 1) == 'X')) {
    pos_ += 2;
    size_t digits = pos_;
    while (IsHex(at(pos_))) ++pos_;
    if (pos_ == digits) return Fail("invalid hex literal", start);
    if (at(pos_) == 'u' || at(pos_) == 'U') {
      Token t = Make(TokenKind::kUint, start);
      ++pos_;
      return t;
    }
    return Make(TokenKind::kInt, start);
  }
  bool is_double = false;
  while (IsDigit(at(pos_))) ++pos_;
  if (at(pos_) == '.' && IsDigit(at(pos_ + 1))) {
    is_double = true;
    ++pos_;
    while (IsDigit(at(pos_))) ++pos_;
  }
  if (at(pos_) == 'e' || at(pos_) == 'E') {
    size_t save = pos_;
    ++pos_;
    if (at(pos_) == '+' || at(pos_) == '-') ++pos_;
    if (!IsDigit(at(pos_))) {
      pos_ = save;
    } else {
      is_double = true;
      while (IsDigit(at(pos_))) ++pos_;
    }
  }
  if (is_double) return Make(TokenKind::kDouble, start);
  if (at(pos_) == 'u' || at(pos_) == 'U') {
    Token t = Make(TokenKind::kUint, start);
    ++pos_;
    return t;
  }
  return Make(TokenKind::kInt, start);
}

Token Lexer::LexString(size_t start, bool raw, bool bytes) {
  char q = src_[pos_];
  bool triple = pos_ + 2 < src_.size() && src_[pos_ + 1] == q && src_[pos_ + 2] == q;
  pos_ += triple ? 3 : 1;
  while (true) {
    if (pos_ >= src_.size()) return Fail("unterminated string literal", start);
    char c = src_[pos_];
    if (c == '\\' && !raw) {
      pos_ += 2;
      continue;
    }
    if (!triple && (c == '\n' || c == '\r')) return Fail("newline in string literal", pos_);
    if (c == q) {
      if (!triple) {
        ++pos_;
        break;
      }
      if (pos_ + 2 < src_.size() && src_[pos_ + 1] == q && src_[pos_ + 2] == q) {
        pos_ += 3;
        break;
      }
    }
    ++pos_;
  }
  return Make(bytes ? TokenKind::kBytes : TokenKind::kString, start);
}

bool DecodeStringLiteral(std::string_view tok, std::string* out, std::string* error, size_t* error_offset) {
  size_t p = 0;
  bool raw = false, bytes = false;
  while (p < tok.size() && tok[p] != '"' && tok[p] != '\'') {
    char c = tok[p];
    if (c == 'r' || c == 'R') raw = true;
    if (c == 'b' || c == 'B') bytes = true;
    ++p;
  }
  char q = tok[p];
  bool triple = tok.size() >= p + 6 && tok[p + 1] == q && tok[p + 2] == q;
  size_t qlen = triple ? 3 : 1;
  std::string_view body = tok.substr(p + qlen, tok.size() - p - 2 * qlen);
  size_t base = p + qlen;
  out->clear();
  auto fail = [&](const std::string& m, size_t at) {
    *error = m;
    *error_offset = base + at;
    return false;
  };
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == '\r') {  // CEL normalizes newlines in literals
      out->push_back('\n');
      i += (i + 1 < body.size() && body[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (raw || c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= body.size()) return fail("invalid escape at end of literal", i);
    char e = body[i + 1];
    size_t esc = i;
    i += 2;
    switch (e) {
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case '\\': out->push_back('\\'); break;
      case '\'': out->push_back('\''); break;
      case '"': out->push_back('"'); break;
      case '`': out->push_back('`'); break;
      case '?': out->push_back('?'); break;
      case 'x':
      case 'X': {
        if (i + 2 > body.size() || !IsHex(body[i]) || !IsHex(body[i + 1])) {
          return fail("invalid \\x escape", esc);
        }
        uint32_t v = static_cast<uint32_t>(HexVal(body[i]) * 16 + HexVal(body[i + 1]));
        i += 2;
        if (bytes) out->push_back(static_cast<char>(v));
        else utf8::Append(out, v);
        break;
      }
      case 'u':
      case 'U': {
        if (bytes) return fail("unicode escape in bytes literal", esc);
        size_t n = e == 'u' ? 4 : 8;
        if (i + n > body.size()) return fail("invalid unicode escape", esc);
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          if (!IsHex(body[i + k])) return fail("invalid unicode escape", esc);
          v = v * 16 + static_cast<uint32_t>(HexVal(body[i + k]));
        }
        i += n;
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return fail("invalid unicode code point", esc);
        utf8::Append(out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '3') {
          if (i + 2 > body.size() || body[i] < '0' || body[i] > '7' || body[i + 1] < '0' || body[i + 1] > '7') {
            return fail("invalid octal escape", esc);
          }
          uint32_t v = static_cast<uint32_t>((e - '0') * 64 + (body[i] - '0') * 8 + (body[i + 1] - '0'));
          i += 2;
          if (bytes) out->push_back(static_cast<char>(v));
          else utf8::Append(out, v);
          break;
        }
        return fail(std::string("invalid escape sequence '\\") + e + "'", esc);
    }
  }
  return true;
}

}  // namespace clausegate::cel
