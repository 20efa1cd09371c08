#include "cel/ext/url.h"

#include <map>

#include "cel/ext/net.h"

namespace clausegate::cel::ext {
namespace {

// Go's net/url encoding modes: each names a URL component whose escaping
// rules differ.
enum class Mode {
  kPath,
  kPathSegment,
  kHost,
  kZone,
  kUserPassword,
  kQueryComponent,
  kFragment,
};

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsHex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned char Unhex(unsigned char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned char>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned char>(c - 'a' + 10);
  return static_cast<unsigned char>(c - 'A' + 10);
}

// Go's shouldEscape: whether c must be percent-encoded in the given component.
bool ShouldEscape(unsigned char c, Mode mode) {
  if (IsAlnum(c)) return false;
  if (mode == Mode::kHost || mode == Mode::kZone) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
      case ';': case '=': case ':': case '[': case ']': case '<': case '>': case '"':
        return false;
      default:
        break;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~':
      return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?': case '@':
      switch (mode) {
        case Mode::kPath:
          return c == '?';
        case Mode::kPathSegment:
          return c == '/' || c == ';' || c == ',' || c == '?';
        case Mode::kUserPassword:
          return c == '@' || c == '/' || c == '?' || c == ':';
        case Mode::kQueryComponent:
          return true;
        case Mode::kFragment:
          return false;
        default:
          break;
      }
      break;
    default:
      break;
  }
  if (mode == Mode::kFragment) {
    switch (c) {
      case '!': case '(': case ')': case '*':
        return false;
      default:
        break;
    }
  }
  return true;
}

// Go's unescape: decodes %XX (and '+' in query components), rejecting what
// Go rejects. On failure sets *err to Go's message.
bool Unescape(std::string_view s, Mode mode, std::string* out, std::string* err) {
  bool needs_decode = false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      needs_decode = true;
      if (i + 2 >= s.size() || !IsHex(static_cast<unsigned char>(s[i + 1])) ||
          !IsHex(static_cast<unsigned char>(s[i + 2]))) {
        *err = "invalid URL escape " + GoQuote(s.substr(i, 3));
        return false;
      }
      std::string_view esc = s.substr(i, 3);
      unsigned char hi = Unhex(static_cast<unsigned char>(s[i + 1]));
      unsigned char v = static_cast<unsigned char>(hi << 4 | Unhex(static_cast<unsigned char>(s[i + 2])));
      // Hosts may only escape non-ASCII bytes (and "%25" for IPv6 zones).
      if (mode == Mode::kHost && hi < 8 && esc != "%25") {
        *err = "invalid URL escape " + GoQuote(esc);
        return false;
      }
      if (mode == Mode::kZone && esc != "%25" && v != ' ' && ShouldEscape(v, Mode::kHost)) {
        *err = "invalid URL escape " + GoQuote(esc);
        return false;
      }
      i += 3;
    } else {
      if (c == '+' && mode == Mode::kQueryComponent) needs_decode = true;
      if ((mode == Mode::kHost || mode == Mode::kZone) && c < 0x80 && ShouldEscape(c, mode)) {
        *err = "invalid character " + GoQuote(s.substr(i, 1)) + " in host name";
        return false;
      }
      ++i;
    }
  }
  if (!needs_decode) {
    *out = std::string(s);
    return true;
  }
  std::string t;
  t.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      t.push_back(static_cast<char>(Unhex(static_cast<unsigned char>(s[i + 1])) << 4 |
                                    Unhex(static_cast<unsigned char>(s[i + 2]))));
      i += 2;
    } else if (s[i] == '+' && mode == Mode::kQueryComponent) {
      t.push_back(' ');
    } else {
      t.push_back(s[i]);
    }
  }
  *out = std::move(t);
  return true;
}

std::string Escape(std::string_view s, Mode mode) {
  static constexpr char kUpperHex[] = "0123456789ABCDEF";
  std::string t;
  t.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == ' ' && mode == Mode::kQueryComponent) {
      t.push_back('+');
    } else if (ShouldEscape(c, mode)) {
      t.push_back('%');
      t.push_back(kUpperHex[c >> 4]);
      t.push_back(kUpperHex[c & 15]);
    } else {
      t.push_back(ch);
    }
  }
  return t;
}

bool ValidOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ValidUserinfo(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsAlnum(c)) continue;
    switch (c) {
      case '-': case '.': case '_': case ':': case '~': case '!': case '$': case '&': case '\'':
      case '(': case ')': case '*': case '+': case ',': case ';': case '=': case '%': case '@':
        continue;
      default:
        return false;  // including every non-ASCII byte, as Go rejects non-ASCII runes
    }
  }
  return true;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Go's parseHost (Go 1.26): host[:port], IP literals in brackets.
bool ParseHost(std::string_view scheme, std::string_view host, std::string* out, std::string* err) {
  size_t open = host.rfind('[');
  if (open != std::string_view::npos && open > 0) {
    *err = "invalid IP-literal";
    return false;
  }
  if (open == 0) {
    size_t close = host.rfind(']');
    if (close == std::string_view::npos) {
      *err = "missing ']' in host";
      return false;
    }
    std::string_view colon_port = host.substr(close + 1);
    if (!ValidOptionalPort(colon_port)) {
      *err = "invalid port " + GoQuote(colon_port) + " after host";
      return false;
    }
    std::string port;
    if (!Unescape(colon_port, Mode::kHost, &port, err)) return false;
    std::string_view name = host.substr(1, close - 1);
    std::string unescaped;
    size_t zone = name.find("%25");
    if (zone != std::string_view::npos) {
      std::string host_part, zone_part;
      if (!Unescape(name.substr(0, zone), Mode::kHost, &host_part, err)) return false;
      if (!Unescape(name.substr(zone), Mode::kZone, &zone_part, err)) return false;
      unescaped = host_part + zone_part;
    } else if (!Unescape(name, Mode::kHost, &unescaped, err)) {
      return false;
    }
    // Only IPv6 literals (zones and IPv4-mapped forms included) may be bracketed.
    std::string addr_err;
    std::optional<IpAddress> addr = ParseNetipAddr(unescaped, nullptr, &addr_err);
    if (!addr) {
      *err = "invalid host: " + addr_err;
      return false;
    }
    if (addr->family == 4) {
      *err = "invalid IP-literal";
      return false;
    }
    *out = "[" + unescaped + "]" + port;
    return true;
  }
  size_t first = host.find(':');
  if (first != std::string_view::npos) {
    size_t last = host.rfind(':');
    // Extra colons are tolerated in other schemes' hosts (host lists), but
    // for http and https the port starts at the first colon.
    size_t i = (last != first && (scheme == "http" || scheme == "https")) ? first : last;
    std::string_view colon_port = host.substr(i);
    if (!ValidOptionalPort(colon_port)) {
      *err = "invalid port " + GoQuote(colon_port) + " after host";
      return false;
    }
  }
  return Unescape(host, Mode::kHost, out, err);
}

bool ParseAuthority(std::string_view scheme, std::string_view authority, Url* u, std::string* err) {
  size_t at = authority.rfind('@');
  std::string_view host_part = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (!ParseHost(scheme, host_part, &u->host, err)) return false;
  if (at == std::string_view::npos) return true;
  std::string_view userinfo = authority.substr(0, at);
  if (!ValidUserinfo(userinfo)) {
    *err = "net/url: invalid userinfo";
    return false;
  }
  u->has_user = true;
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return Unescape(userinfo, Mode::kUserPassword, &u->username, err);
  u->has_password = true;
  return Unescape(userinfo.substr(0, colon), Mode::kUserPassword, &u->username, err) &&
         Unescape(userinfo.substr(colon + 1), Mode::kUserPassword, &u->password, err);
}

// Go's URL.setPath: decoded path plus the original encoding when it differs.
bool SetPath(std::string_view p, Url* u, std::string* err) {
  if (!Unescape(p, Mode::kPath, &u->path, err)) return false;
  if (Escape(u->path, Mode::kPath) == p) {
    u->raw_path.clear();
  } else {
    u->raw_path = std::string(p);
  }
  return true;
}

// Go's url.parse; via_request selects ParseRequestURI's stricter rules.
bool ParseGo(std::string_view raw, bool via_request, Url* u, std::string* err) {
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      *err = "net/url: invalid control character in URL";
      return false;
    }
  }
  if (raw.empty() && via_request) {
    *err = "empty url";
    return false;
  }
  if (raw == "*") {
    u->path = "*";
    return true;
  }
  // Scheme: a letter, then letters, digits, '+', '-', '.', ended by ':'.
  std::string_view rest = raw;
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) {
        *err = "missing protocol scheme";
        return false;
      }
      u->scheme = ToLowerAscii(raw.substr(0, i));
      rest = raw.substr(i + 1);
    }
    break;
  }
  size_t question = rest.find('?');
  if (question != std::string_view::npos && question == rest.size() - 1) {
    u->force_query = true;
    rest.remove_suffix(1);
  } else if (question != std::string_view::npos) {
    u->raw_query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  if (!rest.starts_with('/')) {
    if (!u->scheme.empty()) {
      u->opaque = std::string(rest);  // rootless paths are opaque
      return true;
    }
    if (via_request) {
      *err = "invalid URI for request";
      return false;
    }
    std::string_view segment = rest.substr(0, rest.find('/'));
    if (segment.find(':') != std::string_view::npos) {
      *err = "first path segment in URL cannot contain colon";
      return false;
    }
  }
  if ((!u->scheme.empty() || (!via_request && !rest.starts_with("///"))) && rest.starts_with("//")) {
    std::string_view authority = rest.substr(2);
    rest = {};
    size_t slash = authority.find('/');
    if (slash != std::string_view::npos) {
      rest = authority.substr(slash);
      authority = authority.substr(0, slash);
    }
    if (!ParseAuthority(u->scheme, authority, u, err)) return false;
  } else if (!u->scheme.empty() && rest.starts_with('/')) {
    u->omit_host = true;
  }
  return SetPath(rest, u, err);
}

std::string ParseError(std::string_view url, std::string_view err) {
  return "parse " + GoQuote(url) + ": " + std::string(err);
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t DecodeRune(std::string_view s, size_t i, uint32_t* rune) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t r;
  uint32_t min;
  if (c < 0x80) {
    *rune = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2, r = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, r = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, r = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    r = r << 6 | (cc & 0x3f);
  }
  if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return 0;
  *rune = r;
  return n;
}

// Approximates Go's unicode.IsPrint for non-ASCII runes: controls, spaces
// other than ' ', format characters (bidi controls included), private use and
// non-characters are not printable. Unassigned code points count as printable.
bool IsPrintableRune(uint32_t r) {
  if (r <= 0xa0 || r == 0xad || r == 0x61c || r == 0x1680 || r == 0x180e) return false;
  if (r >= 0x2000 && r <= 0x200f) return false;
  if (r >= 0x2028 && r <= 0x202f) return false;
  if (r >= 0x205f && r <= 0x206f) return false;
  if (r == 0x3000 || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb)) return false;
  if ((r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000) return false;
  if ((r & 0xfffe) == 0xfffe || (r >= 0xfdd0 && r <= 0xfdef)) return false;
  if (r >= 0xe0000 && r <= 0xe007f) return false;
  return true;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    size_t n = DecodeRune(s, i, &r);
    if (n == 0) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (r >= 0x20 && r < 0x7f) {
      out.push_back(static_cast<char>(r));
    } else if (r < 0x80) {
      switch (r) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          out += "\\x";
          out.push_back(kHex[r >> 4]);
          out.push_back(kHex[r & 15]);
      }
    } else if (!IsPrintableRune(r)) {
      std::string hex;
      for (uint32_t v = r; v != 0 || hex.empty(); v >>= 4) hex.insert(hex.begin(), kHex[v & 15]);
      size_t width = r > 0xffff ? 8 : 4;
      out += r > 0xffff ? "\\U" : "\\u";
      out += std::string(width - hex.size(), '0') + hex;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
  return out;
}

std::string Url::Hostname() const {
  std::string_view h = host;
  size_t colon = h.rfind(':');
  if (colon != std::string_view::npos && ValidOptionalPort(h.substr(colon))) h = h.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return std::string(h);
}

std::string Url::Port() const {
  std::string_view h = host;
  size_t colon = h.rfind(':');
  if (colon != std::string_view::npos && ValidOptionalPort(h.substr(colon))) return std::string(h.substr(colon + 1));
  return "";
}

std::string Url::EscapedPath() const {
  if (!raw_path.empty()) {
    bool valid = true;
    for (char ch : raw_path) {
      unsigned char c = static_cast<unsigned char>(ch);
      switch (c) {
        case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
        case ';': case '=': case ':': case '@': case '[': case ']': case '%':
          break;
        default:
          if (ShouldEscape(c, Mode::kPath)) valid = false;
      }
      if (!valid) break;
    }
    std::string decoded, err;
    if (valid && Unescape(raw_path, Mode::kPath, &decoded, &err) && decoded == path) return raw_path;
  }
  if (path == "*") return "*";
  return Escape(path, Mode::kPath);
}

std::vector<std::pair<std::string, std::vector<std::string>>> Url::Query() const {
  std::map<std::string, std::vector<std::string>> values;
  std::string_view q = raw_query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos || pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string k, v, err;
    if (!Unescape(key, Mode::kQueryComponent, &k, &err)) continue;
    if (!Unescape(value, Mode::kQueryComponent, &v, &err)) continue;
    values[std::move(k)].push_back(std::move(v));
  }
  return {std::make_move_iterator(values.begin()), std::make_move_iterator(values.end())};
}

bool IsUrl(std::string_view s, std::string* error) {
  if (s.size() > kMaxUrlLength) {
    if (error != nullptr) *error = "URL is longer than 4096 bytes";
    return false;
  }
  Url u;
  std::string err;
  if (!ParseGo(s, /*via_request=*/true, &u, &err)) {
    if (error != nullptr) *error = ParseError(s, err);
    return false;
  }
  return true;
}

std::optional<Url> ParseUrl(std::string_view s, std::string* error) {
  if (!IsUrl(s, error)) return std::nullopt;
  // Components come from url.Parse, which splits off the fragment first.
  size_t hash = s.find('#');
  std::string_view base = s.substr(0, hash);
  Url u;
  std::string err;
  if (!ParseGo(base, /*via_request=*/false, &u, &err)) {
    if (error != nullptr) *error = ParseError(base, err);
    return std::nullopt;
  }
  if (hash != std::string_view::npos && hash + 1 < s.size()) {
    std::string_view frag = s.substr(hash + 1);
    if (!Unescape(frag, Mode::kFragment, &u.fragment, &err)) {
      if (error != nullptr) *error = ParseError(s, err);
      return std::nullopt;
    }
    if (Escape(u.fragment, Mode::kFragment) != frag) u.raw_fragment = std::string(frag);
  }
  u.escaped_path = u.EscapedPath();
  return u;
}

}  // namespace clausegate::cel::ext
