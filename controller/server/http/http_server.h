#pragma once
// An event-driven HTTP/1.1 server (Boost.Beast over Boost.Asio): a few I/O threads
// multiplex every connection, TLS or plain, with non-blocking sockets. Every limit
// holds on the bytes actually received, every wait has a deadline, and nothing
// here knows what the requests mean: a handler turns an HttpRequest into an
// HttpResponse.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace clausegate::server::http {

struct HttpLimits {
  size_t max_body_bytes = 3 * 1024 * 1024;  // any transfer encoding; the API server's own bound
  size_t max_header_bytes = 16 * 1024;      // request line and header fields together
  size_t max_header_fields = 100;
  size_t max_target_bytes = 4096;           // the request line's path and query
  size_t max_connections = 4096;            // open at once, on all listeners
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};  // from the first byte of a request to its last
  std::chrono::milliseconds write_timeout{10000};    // to send a response
  std::chrono::milliseconds idle_timeout{120000};    // keep-alive between requests (past Go's 90 s)
};

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // "/validate"
  std::string content_type;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (Allow, ...)
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// What the server tells its owner; called from I/O threads, so thread-safe.
struct HttpEvents {
  // A request or connection refused or cut at a limit: "too_many_connections",
  // "handshake_timeout", "request_timeout", "header_too_large", "too_many_headers",
  // "target_too_long", "body_too_large", "content_encoding", "malformed", ...
  std::function<void(std::string_view reason)> limit;
  // One line of structured log (JSON), at most once per connection for limits.
  std::function<void(const std::string& line)> log;
};

struct Listener {
  std::string address = "0.0.0.0";
  int port = 0;  // 0: an ephemeral port
  // TLS: sets up the server context (versions, ciphers, certificates, client CAs);
  // false with a reason. Empty: plain HTTP.
  std::function<bool(SSL_CTX* ctx, std::string* error)> configure_tls;
  Handler handler;
};

class HttpServer {
 public:
  HttpServer(HttpLimits limits, int threads, HttpEvents events);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (no SO_REUSEPORT: a port in use is an error) and listens; the bound port,
  // or -1 with a reason. Call before Start.
  int Listen(Listener listener, std::string* error);
  // Starts the I/O threads.
  void Start();
  // From now on every response closes its connection; idle connections stay open
  // until their next request or Shutdown. A client that pools connections by the
  // Service's name (the API server does) moves to another replica only this way:
  // closing a connection it may be reusing races with its next request.
  void EndKeepAlive();
  // Stops accepting, closes every connection that is not in the middle of a request
  // at once, lets the others finish (their responses close the connection), and
  // returns when all are gone or `drain` has passed (the rest are cut).
  void Shutdown(std::chrono::milliseconds drain);

  size_t open_connections() const;

  struct Impl;  // opaque: the I/O context, listeners and connections

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace clausegate::server::http
