#pragma once
// URLs for the Kubernetes CEL URL library (url(), isURL(), getScheme, getHost,
// getHostname, getPort, getEscapedPath, getQuery) and the "uri" format.
//
// Kubernetes decides validity with Go's url.ParseRequestURI (an absolute URI
// or an absolute path; nothing relative) and then takes the components from
// url.Parse, which splits off the #fragment that ParseRequestURI would have
// left in the path or query. Both are reproduced here as Go 1.26's net/url
// behaves, including its checks on bracketed IP literals and on extra colons
// in http(s) hosts. Inputs longer than kMaxUrlLength bytes are rejected.
//
// Kubernetes' documented examples, which hold here:
//   url('https://example.com:80/').getHost() == 'example.com:80'
//   url('https://example.com:80/').getHostname() == 'example.com'
//   url('https://example.com:80/').getPort() == '80'
//   url('https://[::1]:80/').getHostname() == '::1'
//   url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'
//   url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}
//   url('https://example.com/path?').getQuery() == {}
//   url('/absolute-path').getScheme() == ''
//   url('https://example.com').getEscapedPath() == ''
//   isURL('../relative-path') == false
//   isURL('https://a.com/%') == false
//   isURL('https://a:b:c/') == false

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clausegate::cel::ext {

inline constexpr std::size_t kMaxUrlLength = 4096;

// The fields of Go's url.URL, decoded as Go decodes them.
struct Url {
  std::string scheme;    // lower-cased
  std::string opaque;    // "mailto:x" -> "x"
  bool has_user = false;
  std::string username;  // decoded
  bool has_password = false;
  std::string password;  // decoded
  std::string host;      // host or host:port, brackets kept for IPv6 ("[::1]:80")
  std::string path;      // decoded
  std::string raw_path;  // original encoding of path, when it differs from the default one
  std::string escaped_path;  // EscapedPath() when parsed
  bool omit_host = false;    // "scheme:/path": a path but no authority
  bool force_query = false;  // a trailing '?' with no query
  std::string raw_query;     // undecoded, without '?'
  std::string fragment;      // decoded, without '#'
  std::string raw_fragment;  // original encoding of fragment, when it differs

  // Host without the port and without IPv6 brackets ("[::1]:80" -> "::1").
  std::string Hostname() const;
  // Port digits, or "" when there is none.
  std::string Port() const;
  // Go's URL.EscapedPath(): raw_path when it is a valid encoding of path,
  // else path escaped (" " -> "%20").
  std::string EscapedPath() const;
  // Go's url.ParseQuery(raw_query), dropping the pairs it rejects: keys in
  // byte order, each with its values in order, percent- and '+'-decoded.
  std::vector<std::pair<std::string, std::vector<std::string>>> Query() const;
};

// Kubernetes url(): nullopt when url.ParseRequestURI or url.Parse fails.
// error receives Go's message, e.g. `parse "../x": invalid URI for request`.
std::optional<Url> ParseUrl(std::string_view s, std::string* error = nullptr);

// Kubernetes isURL() and the "uri" format: url.ParseRequestURI succeeds.
// (A string with a malformed fragment escape passes this but fails ParseUrl,
// as in Kubernetes.)
bool IsUrl(std::string_view s, std::string* error = nullptr);

// Go's strconv.Quote, for error messages that quote user input. Non-ASCII
// runes are kept except C1 controls and a few other non-printing runes.
std::string GoQuote(std::string_view s);

}  // namespace clausegate::cel::ext
