#include "cel/syntax/parser.h"

#include <algorithm>

#include <cerrno>
#include <cstdlib>
#include <unordered_map>

#include "cel/syntax/lexer.h"
#include "common/utf8.h"

namespace clausegate::cel {
namespace {

class Parser {
 public:
  Parser(std::string_view src, const ParseLimits& limits) : src_(src), limits_(limits), lexer_(src) {
    Advance();
  }

  ParseResult Run() {
    ExprPtr e = ParseExpr();
    if (!error_ && tok_.kind != TokenKind::kEnd) Error(tok_.offset, "unexpected " + Describe(tok_));
    ParseResult r;
    if (error_) {
      r.error = std::move(error_);
    } else {
      r.expr = std::move(e);
    }
    return r;
  }

 private:
  // --- tokens and errors ---------------------------------------------------

  void Advance() {
    tok_ = lexer_.Next();
    if (tok_.kind == TokenKind::kError) Error(tok_.offset, lexer_.error());
  }
  bool Accept(TokenKind k) {
    if (tok_.kind != k) return false;
    Advance();
    return true;
  }
  bool Expect(TokenKind k, const char* what) {
    if (Accept(k)) return true;
    Error(tok_.offset, std::string("expected ") + what + ", found " + Describe(tok_));
    return false;
  }
  static std::string Describe(const Token& t) {
    if (t.kind == TokenKind::kEnd) return "end of expression";
    return "'" + std::string(t.text) + "'";
  }
  ExprPtr Error(uint32_t offset, std::string message) {
    if (!error_) error_ = ParseError{PositionAt(src_, offset), std::move(message)};
    return nullptr;
  }
  bool failed() const { return error_.has_value(); }

  // --- node builders -------------------------------------------------------

  ExprPtr Node(ExprKind k, uint32_t offset) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->offset = offset;
    return e;
  }
  // Records the depth of a finished node and enforces the bound.
  ExprPtr Finish(ExprPtr e) {
    if (!e) return e;
    uint32_t d = 0;
    auto see = [&](const ExprPtr& c) {
      if (c) d = std::max(d, depth_of(*c));
    };
    see(e->target);
    for (auto& a : e->args) see(a);
    for (auto& m : e->entries) {
      see(m.key);
      see(m.value);
    }
    depth_[e.get()] = d + 1;
    if (d + 1 > limits_.max_depth) {
      return Error(e->offset, "expression nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
    }
    return e;
  }
  uint32_t depth_of(const Expr& e) const {
    auto it = depth_.find(&e);
    return it == depth_.end() ? 1 : it->second;
  }
  ExprPtr Call(std::string_view fn, uint32_t offset, std::vector<ExprPtr> args, ExprPtr target = nullptr) {
    ExprPtr e = Node(ExprKind::kCall, offset);
    e->name = std::string(fn);
    e->args = std::move(args);
    e->target = std::move(target);
    return Finish(std::move(e));
  }
  ExprPtr Binary(std::string_view fn, uint32_t offset, ExprPtr l, ExprPtr r) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(l));
    args.push_back(std::move(r));
    return Call(fn, offset, std::move(args));
  }

  // --- grammar -------------------------------------------------------------

  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) { ++p->recursion_; }
    ~DepthGuard() { --p->recursion_; }
  };

  ExprPtr ParseExpr() {
    DepthGuard g(this);
    if (recursion_ > limits_.max_depth) {
      return Error(tok_.offset, "expression nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
    }
    uint32_t offset = tok_.offset;
    ExprPtr cond = ParseLogical(TokenKind::kOr);
    if (failed()) return nullptr;
    if (tok_.kind != TokenKind::kQuestion) return cond;
    uint32_t qoff = tok_.offset;
    Advance();
    ExprPtr then = ParseLogical(TokenKind::kOr);
    if (failed() || !Expect(TokenKind::kColon, "':'")) return nullptr;
    ExprPtr otherwise = ParseExpr();
    if (failed()) return nullptr;
    std::vector<ExprPtr> args;
    args.push_back(std::move(cond));
    args.push_back(std::move(then));
    args.push_back(std::move(otherwise));
    (void)offset;
    return Call(op::kCond, qoff, std::move(args));
  }

  // a || b || c and a && b && c are built as balanced trees so that long chains
  // stay shallow.
  ExprPtr ParseLogical(TokenKind which) {
    std::vector<ExprPtr> terms;
    std::vector<uint32_t> offsets;
    terms.push_back(which == TokenKind::kOr ? ParseLogical(TokenKind::kAnd) : ParseRelation());
    if (failed()) return nullptr;
    while (tok_.kind == which) {
      offsets.push_back(tok_.offset);
      Advance();
      terms.push_back(which == TokenKind::kOr ? ParseLogical(TokenKind::kAnd) : ParseRelation());
      if (failed()) return nullptr;
    }
    if (terms.size() == 1) return std::move(terms[0]);
    return Balance(which == TokenKind::kOr ? op::kOr : op::kAnd, terms, offsets, 0, terms.size());
  }
  ExprPtr Balance(std::string_view fn, std::vector<ExprPtr>& terms, const std::vector<uint32_t>& offsets,
                  size_t lo, size_t hi) {
    if (hi - lo == 1) return std::move(terms[lo]);
    size_t mid = (lo + hi) / 2;
    ExprPtr l = Balance(fn, terms, offsets, lo, mid);
    ExprPtr r = Balance(fn, terms, offsets, mid, hi);
    if (failed()) return nullptr;
    return Binary(fn, offsets[mid - 1], std::move(l), std::move(r));
  }

  ExprPtr ParseRelation() {
    ExprPtr l = ParseAddition();
    while (!failed()) {
      std::string_view fn;
      switch (tok_.kind) {
        case TokenKind::kLt: fn = op::kLt; break;
        case TokenKind::kLe: fn = op::kLe; break;
        case TokenKind::kGt: fn = op::kGt; break;
        case TokenKind::kGe: fn = op::kGe; break;
        case TokenKind::kEq: fn = op::kEq; break;
        case TokenKind::kNe: fn = op::kNe; break;
        case TokenKind::kIn: fn = op::kIn; break;
        default: return l;
      }
      uint32_t off = tok_.offset;
      Advance();
      ExprPtr r = ParseAddition();
      if (failed()) return nullptr;
      l = Binary(fn, off, std::move(l), std::move(r));
    }
    return nullptr;
  }

  ExprPtr ParseAddition() {
    ExprPtr l = ParseMultiplication();
    while (!failed() && (tok_.kind == TokenKind::kPlus || tok_.kind == TokenKind::kMinus)) {
      std::string_view fn = tok_.kind == TokenKind::kPlus ? op::kAdd : op::kSub;
      uint32_t off = tok_.offset;
      Advance();
      ExprPtr r = ParseMultiplication();
      if (failed()) return nullptr;
      l = Binary(fn, off, std::move(l), std::move(r));
    }
    return failed() ? nullptr : std::move(l);
  }

  ExprPtr ParseMultiplication() {
    ExprPtr l = ParseUnary();
    while (!failed() && (tok_.kind == TokenKind::kStar || tok_.kind == TokenKind::kSlash ||
                         tok_.kind == TokenKind::kPercent)) {
      std::string_view fn = tok_.kind == TokenKind::kStar ? op::kMul : tok_.kind == TokenKind::kSlash ? op::kDiv : op::kMod;
      uint32_t off = tok_.offset;
      Advance();
      ExprPtr r = ParseUnary();
      if (failed()) return nullptr;
      l = Binary(fn, off, std::move(l), std::move(r));
    }
    return failed() ? nullptr : std::move(l);
  }

  ExprPtr ParseUnary() {
    if (tok_.kind == TokenKind::kBang) {
      std::vector<uint32_t> offs;
      while (tok_.kind == TokenKind::kBang) {
        offs.push_back(tok_.offset);
        Advance();
      }
      ExprPtr e = ParseMember();
      for (size_t i = offs.size(); i-- > 0 && !failed();) {
        std::vector<ExprPtr> a;
        a.push_back(std::move(e));
        e = Call(op::kNot, offs[i], std::move(a));
      }
      return failed() ? nullptr : std::move(e);
    }
    if (tok_.kind == TokenKind::kMinus) {
      std::vector<uint32_t> offs;
      while (tok_.kind == TokenKind::kMinus) {
        offs.push_back(tok_.offset);
        Advance();
      }
      ExprPtr e;
      if (tok_.kind == TokenKind::kInt || tok_.kind == TokenKind::kDouble) {
        // The innermost minus belongs to the literal, so that -9223372036854775808 is an int.
        e = ParseMemberSuffixes(ParseNumber(true, offs.back()));
        offs.pop_back();
      } else {
        e = ParseMember();
      }
      for (size_t i = offs.size(); i-- > 0 && !failed();) {
        std::vector<ExprPtr> a;
        a.push_back(std::move(e));
        e = Call(op::kNeg, offs[i], std::move(a));
      }
      return failed() ? nullptr : std::move(e);
    }
    return ParseMember();
  }

  ExprPtr ParseNumber(bool negative, uint32_t offset) {
    Token t = tok_;
    Advance();
    ExprPtr e = Node(ExprKind::kConst, offset);
    std::string text(t.text);
    if (t.kind == TokenKind::kDouble) {
      errno = 0;
      double d = std::strtod(text.c_str(), nullptr);
      e->constant = Value::Double(negative ? -d : d);
      return Finish(std::move(e));
    }
    bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    errno = 0;
    char* end = nullptr;
    unsigned long long u = std::strtoull(hex ? text.c_str() + 2 : text.c_str(), &end, hex ? 16 : 10);
    if (errno == ERANGE) return Error(t.offset, "integer literal out of range: " + text);
    if (t.kind == TokenKind::kUint) {
      if (negative) return Error(t.offset, "unsigned literal cannot be negative");
      e->constant = Value::Uint(u);
    } else if (negative) {
      if (u > 9223372036854775808ULL) return Error(t.offset, "integer literal out of range: -" + text);
      e->constant = Value::Int(u == 9223372036854775808ULL ? INT64_MIN : -static_cast<int64_t>(u));
    } else {
      if (u > 9223372036854775807ULL) return Error(t.offset, "integer literal out of range: " + text);
      e->constant = Value::Int(static_cast<int64_t>(u));
    }
    return Finish(std::move(e));
  }

  ExprPtr ParseMember() { return ParseMemberSuffixes(ParsePrimary()); }

  ExprPtr ParseMemberSuffixes(ExprPtr e) {
    while (!failed() && e) {
      if (tok_.kind == TokenKind::kDot) {
        uint32_t off = tok_.offset;
        Advance();
        bool opt = Accept(TokenKind::kQuestion);
        if (tok_.kind != TokenKind::kIdent && tok_.kind != TokenKind::kQuotedIdent) {
          return Error(tok_.offset, "expected a field name after '.', found " + Describe(tok_));
        }
        Token name = tok_;
        Advance();
        if (!opt && name.kind == TokenKind::kIdent && tok_.kind == TokenKind::kLParen) {
          Advance();
          std::vector<ExprPtr> args = ParseArgs(TokenKind::kRParen);
          if (failed()) return nullptr;
          e = MemberCall(std::move(e), std::string(name.text), std::move(args), name.offset);
          continue;
        }
        ExprPtr s = Node(ExprKind::kSelect, off);
        s->name = std::string(name.text);
        s->target = std::move(e);
        s->optional_select = opt;
        e = Finish(std::move(s));
      } else if (tok_.kind == TokenKind::kLBracket) {
        uint32_t off = tok_.offset;
        Advance();
        bool opt = Accept(TokenKind::kQuestion);
        ExprPtr idx = ParseExpr();
        if (failed() || !Expect(TokenKind::kRBracket, "']'")) return nullptr;
        e = Binary(opt ? op::kOptIndex : op::kIndex, off, std::move(e), std::move(idx));
      } else {
        break;
      }
    }
    return failed() ? nullptr : std::move(e);
  }

  std::vector<ExprPtr> ParseArgs(TokenKind close) {
    std::vector<ExprPtr> args;
    if (Accept(close)) return args;
    while (!failed()) {
      args.push_back(ParseExpr());
      if (failed()) break;
      if (Accept(close)) break;
      if (!Expect(TokenKind::kComma, "',' or ')'")) break;
    }
    return args;
  }

  ExprPtr ParsePrimary() {
    uint32_t off = tok_.offset;
    switch (tok_.kind) {
      case TokenKind::kInt:
      case TokenKind::kDouble:
      case TokenKind::kUint: return ParseNumber(false, off);
      case TokenKind::kString:
      case TokenKind::kBytes: {
        std::string out, err;
        size_t eoff = 0;
        if (!DecodeStringLiteral(tok_.text, &out, &err, &eoff)) {
          return Error(static_cast<uint32_t>(off + eoff), err);
        }
        ExprPtr e = Node(ExprKind::kConst, off);
        e->constant = tok_.kind == TokenKind::kBytes ? Value::Bytes(std::move(out)) : Value::String(std::move(out));
        Advance();
        return Finish(std::move(e));
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse: {
        ExprPtr e = Node(ExprKind::kConst, off);
        e->constant = Value::Bool(tok_.kind == TokenKind::kTrue);
        Advance();
        return Finish(std::move(e));
      }
      case TokenKind::kNull: {
        Advance();
        return Finish(Node(ExprKind::kConst, off));
      }
      case TokenKind::kLParen: {
        Advance();
        ExprPtr e = ParseExpr();
        if (failed() || !Expect(TokenKind::kRParen, "')'")) return nullptr;
        return e;
      }
      case TokenKind::kLBracket: return ParseList();
      case TokenKind::kLBrace: return ParseMap();
      case TokenKind::kDot:
      case TokenKind::kIdent: {
        bool rooted = Accept(TokenKind::kDot);
        if (tok_.kind != TokenKind::kIdent) return Error(tok_.offset, "expected an identifier, found " + Describe(tok_));
        Token name = tok_;
        if (IsReservedWord(name.text)) return Error(name.offset, "reserved identifier: " + std::string(name.text));
        Advance();
        if (tok_.kind == TokenKind::kLParen) {
          Advance();
          std::vector<ExprPtr> args = ParseArgs(TokenKind::kRParen);
          if (failed()) return nullptr;
          return GlobalCall(std::string(name.text), std::move(args), name.offset);
        }
        if (tok_.kind == TokenKind::kLBrace) {
          return Error(tok_.offset, "message construction is not supported");
        }
        (void)rooted;
        ExprPtr e = Node(ExprKind::kIdent, name.offset);
        e->name = std::string(name.text);
        return Finish(std::move(e));
      }
      default:
        return Error(off, "unexpected " + Describe(tok_));
    }
  }

  ExprPtr ParseList() {
    uint32_t off = tok_.offset;
    Advance();
    ExprPtr e = Node(ExprKind::kList, off);
    while (!failed() && tok_.kind != TokenKind::kRBracket) {
      bool opt = Accept(TokenKind::kQuestion);
      e->args.push_back(ParseExpr());
      e->optional_elements.push_back(opt);
      if (failed()) return nullptr;
      if (!Accept(TokenKind::kComma)) break;
    }
    if (failed() || !Expect(TokenKind::kRBracket, "']'")) return nullptr;
    return Finish(std::move(e));
  }

  ExprPtr ParseMap() {
    uint32_t off = tok_.offset;
    Advance();
    ExprPtr e = Node(ExprKind::kMap, off);
    while (!failed() && tok_.kind != TokenKind::kRBrace) {
      MapEntry m;
      m.optional = Accept(TokenKind::kQuestion);
      m.key = ParseExpr();
      if (failed() || !Expect(TokenKind::kColon, "':'")) return nullptr;
      m.value = ParseExpr();
      if (failed()) return nullptr;
      e->entries.push_back(std::move(m));
      if (!Accept(TokenKind::kComma)) break;
    }
    if (failed() || !Expect(TokenKind::kRBrace, "'}'")) return nullptr;
    return Finish(std::move(e));
  }

  // --- macros --------------------------------------------------------------

  ExprPtr GlobalCall(std::string name, std::vector<ExprPtr> args, uint32_t off) {
    if (name == "has" && args.size() == 1) {
      ExprPtr a = std::move(args[0]);
      if (!a || a->kind != ExprKind::kSelect) return Error(off, "invalid argument to has() macro");
      a->test_only = true;
      return a;
    }
    return Call(name, off, std::move(args));
  }

  bool VarName(const ExprPtr& e, std::string* out) {
    if (!e || e->kind != ExprKind::kIdent) {
      Error(e ? e->offset : tok_.offset, "argument must be a simple name");
      return false;
    }
    *out = e->name;
    return true;
  }

  ExprPtr Comprehension(MacroKind k, std::string_view written, ExprPtr range, std::vector<ExprPtr>& args,
                        size_t nvars, uint32_t off) {
    ExprPtr e = Node(ExprKind::kComprehension, off);
    e->macro = k;
    e->name = written;
    if (!VarName(args[0], &e->var1)) return nullptr;
    if (nvars == 2 && !VarName(args[1], &e->var2)) return nullptr;
    if (nvars == 2 && e->var1 == e->var2) return Error(off, "duplicate iteration variable: " + e->var1);
    if (range) e->args.push_back(std::move(range));
    for (size_t i = nvars; i < args.size(); ++i) e->args.push_back(std::move(args[i]));
    return Finish(std::move(e));
  }

  ExprPtr MemberCall(ExprPtr target, std::string name, std::vector<ExprPtr> args, uint32_t off) {
    size_t n = args.size();
    auto is = [&](std::initializer_list<const char*> names) {
      for (const char* s : names) {
        if (name == s) return true;
      }
      return false;
    };
    if (is({"all", "exists"}) && (n == 2 || n == 3)) {
      return Comprehension(name == "all" ? MacroKind::kAll : MacroKind::kExists, name, std::move(target), args, n - 1, off);
    }
    if (is({"exists_one", "existsOne"}) && (n == 2 || n == 3)) {
      return Comprehension(MacroKind::kExistsOne, name, std::move(target), args, n - 1, off);
    }
    if (name == "map" && (n == 2 || n == 3)) return Comprehension(MacroKind::kMap, name, std::move(target), args, 1, off);
    if (name == "filter" && n == 2) return Comprehension(MacroKind::kFilter, name, std::move(target), args, 1, off);
    if (name == "transformList" && (n == 3 || n == 4)) {
      return Comprehension(MacroKind::kTransformList, name, std::move(target), args, 2, off);
    }
    if ((name == "transformMap" || name == "transformMapEntry") && (n == 3 || n == 4)) {
      return Comprehension(MacroKind::kTransformMap, name, std::move(target), args, 2, off);
    }
    if (name == "sortBy" && n == 2) {
      static constexpr ExprKind kSortable[] = {ExprKind::kList, ExprKind::kSelect, ExprKind::kIdent,
                                               ExprKind::kComprehension, ExprKind::kCall};
      if (!target || std::find(std::begin(kSortable), std::end(kSortable), target->kind) == std::end(kSortable)) {
        return Error(off, "sortBy can only be applied to a list, identifier, comprehension, call or select expression");
      }
      return Comprehension(MacroKind::kSortBy, name, std::move(target), args, 1, off);
    }
    if (name == "optMap" && n == 2) return Comprehension(MacroKind::kOptMap, name, std::move(target), args, 1, off);
    if (name == "optFlatMap" && n == 2) return Comprehension(MacroKind::kOptFlatMap, name, std::move(target), args, 1, off);
    if (name == "bind" && n == 3 && target && target->kind == ExprKind::kIdent && target->name == "cel") {
      return Comprehension(MacroKind::kBind, "cel.bind", nullptr, args, 1, off);
    }
    return Call(name, off, std::move(args), std::move(target));
  }

  std::string_view src_;
  ParseLimits limits_;
  Lexer lexer_;
  Token tok_;
  std::optional<ParseError> error_;
  uint32_t recursion_ = 0;
  std::unordered_map<const Expr*, uint32_t> depth_;
};

}  // namespace

ParseResult Parse(std::string_view source, const ParseLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    ParseResult r;
    r.error = ParseError{{1, 1}, "expression is longer than " + std::to_string(limits.max_source_bytes) + " bytes"};
    return r;
  }
  if (!utf8::IsValid(source)) {
    ParseResult r;
    r.error = ParseError{{1, 1}, "expression is not valid UTF-8"};
    return r;
  }
  return Parser(source, limits).Run();
}

}  // namespace clausegate::cel
