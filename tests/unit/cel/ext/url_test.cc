#include "cel/ext/url.h"

#include <catch2/catch.hpp>

#include <string>

namespace clausegate::cel::ext {
namespace {

using QueryMap = std::vector<std::pair<std::string, std::vector<std::string>>>;

Url U(std::string_view s) {
  std::string error;
  std::optional<Url> u = ParseUrl(s, &error);
  INFO("parsing " << s << ": " << error);
  REQUIRE(u.has_value());
  return *u;
}

std::string Error(std::string_view s) {
  std::string error;
  CHECK_FALSE(IsUrl(s, &error));
  CHECK_FALSE(ParseUrl(s));
  return error;
}

TEST_CASE("Url follows the Kubernetes CEL examples", "[url]") {
  CHECK(U("https://example.com:80/").host == "example.com:80");
  CHECK(U("https://example.com:80/").Hostname() == "example.com");
  CHECK(U("https://example.com:80/").Port() == "80");
  CHECK(U("https://example.com/").host == "example.com");
  CHECK(U("https://example.com/").Port() == "");
  CHECK(U("https://example.com/").scheme == "https");
  CHECK(U("https://[::1]:80/").host == "[::1]:80");
  CHECK(U("https://[::1]:80/").Hostname() == "::1");
  CHECK(U("https://[::1]/").host == "[::1]");
  CHECK(U("https://[::1]/").Hostname() == "::1");
  CHECK(U("https://127.0.0.1:80/").Hostname() == "127.0.0.1");
  CHECK(U("/path").host == "");
  CHECK(U("/path").Hostname() == "");
  CHECK(U("/path").Port() == "");
  CHECK(U("/absolute-path").scheme == "");
  CHECK(U("https://example.com/path").EscapedPath() == "/path");
  CHECK(U("https://example.com/path with spaces/").EscapedPath() == "/path%20with%20spaces/");
  CHECK(U("https://example.com/path with spaces/").escaped_path == "/path%20with%20spaces/");
  CHECK(U("https://example.com").EscapedPath() == "");
  CHECK(U("https://example.com/path?k1=a&k2=b&k2=c").Query() == QueryMap{{"k1", {"a"}}, {"k2", {"b", "c"}}});
  CHECK(U("https://example.com/path?key with spaces=value with spaces").Query() ==
        QueryMap{{"key with spaces", {"value with spaces"}}});
  CHECK(U("https://example.com/path?").Query().empty());
  CHECK(U("https://example.com/path").Query().empty());

  CHECK(IsUrl("https://user:pass@example.com:80/path?query=val#fragment"));
  CHECK(IsUrl("/absolute-path"));
  CHECK_FALSE(IsUrl("https://a:b:c/"));
  CHECK_FALSE(IsUrl("../relative-path"));
  CHECK_FALSE(IsUrl("https://a.com/%"));
}

TEST_CASE("Url splits every component like Go's url.Parse", "[url]") {
  Url u = U("HTTPS://user:p%40ss@Example.com:8443/a%2Fb/c?x=1&y=%41+b#frag%20ment");
  CHECK(u.scheme == "https");
  CHECK(u.has_user);
  CHECK(u.username == "user");
  CHECK(u.has_password);
  CHECK(u.password == "p@ss");
  CHECK(u.host == "Example.com:8443");  // host case is kept
  CHECK(u.Hostname() == "Example.com");
  CHECK(u.Port() == "8443");
  CHECK(u.path == "/a/b/c");
  CHECK(u.raw_path == "/a%2Fb/c");
  CHECK(u.EscapedPath() == "/a%2Fb/c");
  CHECK(u.raw_query == "x=1&y=%41+b");
  CHECK(u.Query() == QueryMap{{"x", {"1"}}, {"y", {"A b"}}});
  CHECK(u.fragment == "frag ment");
  CHECK(u.raw_fragment == "");  // Go's own escaping of the fragment gives the same text
  CHECK(U("http://h/#%41").fragment == "A");
  CHECK(U("http://h/#%41").raw_fragment == "%41");

  Url opaque = U("mailto:joe@example.com");
  CHECK(opaque.scheme == "mailto");
  CHECK(opaque.opaque == "joe@example.com");
  CHECK(opaque.host == "");
  CHECK(U("urn:isbn:0451450523").opaque == "isbn:0451450523");
  CHECK(U("localhost:8080").scheme == "localhost");  // as in Go: a scheme, not a host

  CHECK(U("http:/path").omit_host);
  CHECK(U("http:/path").path == "/path");
  CHECK_FALSE(U("http:///path").omit_host);  // an empty authority
  CHECK(U("http:///path").path == "/path");
  CHECK(U("//host/path").host == "host");  // a network-path reference passes as an absolute path
  CHECK(U("///path").path == "///path");
  CHECK(U("*").path == "*");
  CHECK(U("*").EscapedPath() == "*");
  CHECK(U("http://h/?").force_query);
  CHECK(U("http://h/a?b?c").raw_query == "b?c");
  CHECK(U("http://host/a#b#c").fragment == "b#c");
  CHECK(U("http://a@b@c/").username == "a@b");
  CHECK(U("http://a@b@c/").host == "c");
  CHECK(U("http://user@/p").has_user);
  CHECK_FALSE(U("http://user@/p").has_password);
  CHECK(U("http://host:/p").Port() == "");
  CHECK(U("http://host:/p").Hostname() == "host");
  CHECK(U("http://caf%C3%A9.com/").host == "caf\xc3\xa9.com");
  CHECK(U("https://[fe80::1%25en0]:8080/").host == "[fe80::1%en0]:8080");
  CHECK(U("https://[fe80::1%25en0]:8080/").Hostname() == "fe80::1%en0");
  CHECK(U("http://[::ffff:1.2.3.4]/").Hostname() == "::ffff:1.2.3.4");
  CHECK(U("postgres://h1:5432,h2:5432/db").host == "h1:5432,h2:5432");  // colons allowed outside http(s)
}

TEST_CASE("Url keeps or re-escapes the path as Go's EscapedPath does", "[url]") {
  CHECK(U("https://example.com/a%2fb").EscapedPath() == "/a%2fb");
  CHECK(U("https://example.com/a;b,c").EscapedPath() == "/a;b,c");
  CHECK(U("https://example.com/a'b").EscapedPath() == "/a'b");
  CHECK(U("https://example.com/\xc3\xa9").EscapedPath() == "/%C3%A9");
  CHECK(U("http://h/ [x]").EscapedPath() == "/%20%5Bx%5D");
  CHECK(U("http://h/%41").path == "/A");
  CHECK(U("http://h/%41").EscapedPath() == "/%41");

  Url manual;
  manual.path = "/a b?";
  CHECK(manual.EscapedPath() == "/a%20b%3F");
  manual.raw_path = "/a%20b%3F";
  CHECK(manual.EscapedPath() == "/a%20b%3F");
  manual.raw_path = "/wrong";
  CHECK(manual.EscapedPath() == "/a%20b%3F");
}

TEST_CASE("Url query decoding drops what url.ParseQuery rejects", "[url]") {
  Url u = U("https://example.com/p?a=1;b=2&c=%zz&d=%41&e&=f&g=h=i&+x=+y&&d=2");
  CHECK(u.Query() == QueryMap{{"", {"f"}}, {" x", {" y"}}, {"d", {"A", "2"}}, {"e", {""}}, {"g", {"h=i"}}});
  CHECK(U("http://h/?%").Query().empty());
  CHECK(U("http://h/?a&a&a=").Query() == QueryMap{{"a", {"", "", ""}}});
}

TEST_CASE("Url rejects what url.ParseRequestURI rejects, with Go's messages", "[url]") {
  CHECK(Error("") == "parse \"\": empty url");
  CHECK(Error("../relative-path") == "parse \"../relative-path\": invalid URI for request");
  CHECK(Error("relative") == "parse \"relative\": invalid URI for request");
  CHECK(Error("https://a.com/%") == "parse \"https://a.com/%\": invalid URL escape \"%\"");
  CHECK(Error("http://host/%2") == "parse \"http://host/%2\": invalid URL escape \"%2\"");
  CHECK(Error("https://a:b:c/") == "parse \"https://a:b:c/\": invalid port \":b:c\" after host");
  CHECK(Error("http://host:0x1/p") == "parse \"http://host:0x1/p\": invalid port \":0x1\" after host");
  CHECK(Error("http://::1/") == "parse \"http://::1/\": invalid port \"::1\" after host");
  CHECK(Error(":foo") == "parse \":foo\": missing protocol scheme");
  CHECK(Error("http://[::1") == "parse \"http://[::1\": missing ']' in host");
  CHECK(Error("http://[::1]x/") == "parse \"http://[::1]x/\": invalid port \"x\" after host");
  CHECK(Error("https://[zz]/") == "parse \"https://[zz]/\": invalid host: ParseAddr(\"zz\"): unable to parse IP");
  CHECK(Error("http://[1.2.3.4]/") == "parse \"http://[1.2.3.4]/\": invalid IP-literal");
  CHECK(Error("http://a[b]/") == "parse \"http://a[b]/\": invalid IP-literal");
  CHECK(Error("http://a b.com/") == "parse \"http://a b.com/\": invalid character \" \" in host name");
  CHECK(Error("http://a%20b.com/") == "parse \"http://a%20b.com/\": invalid URL escape \"%20\"");
  CHECK(Error("http://us er@host/") == "parse \"http://us er@host/\": net/url: invalid userinfo");
  CHECK(Error("http://h/\n") == "parse \"http://h/\\n\": net/url: invalid control character in URL");
  CHECK(Error(std::string("http://h/\0", 10)) == "parse \"http://h/\\x00\": net/url: invalid control character in URL");
  CHECK(Error("http://h/\x7f") == "parse \"http://h/\\x7f\": net/url: invalid control character in URL");
  CHECK(Error("1http://x") == "parse \"1http://x\": invalid URI for request");
}

TEST_CASE("Url validity and components can disagree as in Kubernetes", "[url]") {
  // ParseRequestURI leaves "#..." in the query; url.Parse then rejects the fragment.
  CHECK(IsUrl("https://example.com/?q#%zz"));
  std::string error;
  CHECK_FALSE(ParseUrl("https://example.com/?q#%zz", &error));
  CHECK(error == "parse \"https://example.com/?q#%zz\": invalid URL escape \"%zz\"");
  // A fragment is fine otherwise, and never part of the path or query.
  CHECK(U("https://example.com/a#b").path == "/a");
  CHECK(U("https://example.com/a?x#b").raw_query == "x");
}

TEST_CASE("Url bounds input length and survives garbage", "[url]") {
  std::string ok = "http://h/" + std::string(kMaxUrlLength - 9, 'a');
  REQUIRE(ok.size() == kMaxUrlLength);
  CHECK(IsUrl(ok));
  std::string error;
  CHECK_FALSE(IsUrl(ok + "a", &error));
  CHECK(error == "URL is longer than 4096 bytes");
  CHECK_FALSE(ParseUrl(std::string(1 << 20, '/')));
  for (std::string_view s : {"\xff\xfe", "http://\xff/", "%", "[", "]", "@", "?", "#", "http:", "http://", "a:"}) {
    INFO(s);
    (void)ParseUrl(s);
  }
  CHECK(U("http://\xff/").host == "\xff");  // non-ASCII host bytes pass, as in Go
  CHECK(U("http:").scheme == "http");
  CHECK(U("http://").host == "");
}

TEST_CASE("GoQuote escapes like strconv.Quote", "[url]") {
  CHECK(GoQuote("abc") == "\"abc\"");
  CHECK(GoQuote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(GoQuote("\n\t\x01\x7f") == "\"\\n\\t\\x01\\x7f\"");
  CHECK(GoQuote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(GoQuote("\xff") == "\"\\xff\"");
  CHECK(GoQuote("\xc2\x80") == "\"\\u0080\"");
  CHECK(GoQuote("\xe2\x80\xae") == "\"\\u202e\"");  // bidi override
  CHECK(GoQuote("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
}

}  // namespace
}  // namespace clausegate::cel::ext
