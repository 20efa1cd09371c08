#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "server/http/http_server.h"

using namespace clausegate::server::http;
using namespace std::chrono_literals;

namespace {

// A blocking loopback client with a receive timeout.
struct Client {
  int fd = -1;
  explicit Client(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      fd = -1;
    }
  }
  ~Client() {
    if (fd >= 0) close(fd);
  }
  void Send(const std::string& s) { (void)!write(fd, s.data(), s.size()); }
  // Everything until the server closes (or the timeout).
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  // Until `count` responses have been seen in full (by counting "HTTP/1.1 ").
  std::string ReadResponses(size_t count) {
    std::string out;
    char buf[4096];
    auto seen = [&] {
      size_t n = 0;
      for (size_t at = out.find("HTTP/1.1 "); at != std::string::npos; at = out.find("HTTP/1.1 ", at + 1)) ++n;
      return n;
    };
    while (seen() < count || !out.ends_with("\n")) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

struct Fixture {
  HttpLimits limits;
  std::unique_ptr<HttpServer> server;
  std::atomic<int> limit_hits{0};
  int port = -1;
  void Begin(Handler handler) {
    HttpEvents events;
    events.limit = [this](std::string_view) { ++limit_hits; };
    server = std::make_unique<HttpServer>(limits, 2, events);
    Listener l;
    l.address = "127.0.0.1";
    l.handler = std::move(handler);
    std::string error;
    port = server->Listen(std::move(l), &error);
    REQUIRE(port > 0);
    server->Start();
  }
};

Handler Echo() {
  return [](const HttpRequest& r) { return HttpResponse{200, "text/plain", r.method + " " + r.target + " " + r.body, {}}; };
}

}  // namespace

TEST_CASE("http server: keep-alive requests and pipelining are answered in order", "[server][http]") {
  Fixture f;
  f.Begin(Echo());
  Client c(f.port);
  c.Send(Post("/a", "one") + Post("/b", "two") + Post("/c", "three"));
  std::string got = c.ReadResponses(3);
  auto one = got.find("POST /a one"), two = got.find("POST /b two"), three = got.find("POST /c three");
  REQUIRE(one != std::string::npos);
  REQUIRE(two != std::string::npos);
  REQUIRE(three != std::string::npos);
  CHECK(one < two);
  CHECK(two < three);
}

TEST_CASE("http server: limits answer with their status and close", "[server][http]") {
  Fixture f;
  f.limits.max_body_bytes = 1024;
  f.limits.max_header_bytes = 2048;
  f.limits.max_target_bytes = 64;
  f.limits.max_header_fields = 10;
  f.Begin(Echo());
  auto status = [&](const std::string& request) {
    Client c(f.port);
    c.Send(request);
    std::string r = c.ReadAll();
    return r.substr(0, 12);
  };
  CHECK(status(Post("/x", std::string(2000, 'b'))) == "HTTP/1.1 413");
  CHECK(status("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'b') + "\r\n0\r\n\r\n") ==
        "HTTP/1.1 413");
  CHECK(status(Post("/x", "b", "X-Pad: " + std::string(3000, 'p') + "\r\n")) == "HTTP/1.1 431");
  std::string many;
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  CHECK(status(Post("/x", "b", many)) == "HTTP/1.1 431");
  CHECK(status(Post("/" + std::string(100, 't'), "b")) == "HTTP/1.1 414");
  CHECK(status(Post("/x", "b", "Content-Encoding: gzip\r\n")) == "HTTP/1.1 415");
  CHECK(status(Post("/x", "b", "Content-Encoding: identity\r\n")) == "HTTP/1.1 200");
  CHECK(status("NOT HTTP AT ALL\r\n\r\n") == "HTTP/1.1 400");
  CHECK(f.limit_hits.load() == 7);
}

TEST_CASE("http server: Expect 100-continue is honoured", "[server][http]") {
  Fixture f;
  f.Begin(Echo());
  Client c(f.port);
  c.Send("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  char buf[256];
  ssize_t n = read(c.fd, buf, sizeof buf);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)).starts_with("HTTP/1.1 100 Continue"));
  c.Send("body");
  CHECK(c.ReadResponses(1).find("POST /x body") != std::string::npos);
}

TEST_CASE("http server: shutdown closes idle connections at once and finishes requests in progress",
          "[server][http]") {
  Fixture f;
  std::atomic<bool> in_handler{false};
  f.Begin([&](const HttpRequest& r) {
    in_handler = true;
    std::this_thread::sleep_for(300ms);  // a request still being judged when the signal comes
    return HttpResponse{200, "text/plain", "done " + r.body, {}};
  });
  Client idle(f.port), busy(f.port);
  busy.Send(Post("/x", "late"));
  for (int i = 0; i < 200 && !in_handler; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(in_handler);
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { f.server->Shutdown(5s); });
  std::string answer = busy.ReadAll();
  CHECK(idle.ReadAll().empty());  // closed without an answer
  stopper.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(answer.find("done late") != std::string::npos);
  CHECK(answer.find("Connection: close") != std::string::npos);
  CHECK(took < 2s);
  CHECK(f.server->open_connections() == 0);
  // The port no longer accepts.
  Client after(f.port);
  CHECK(after.fd < 0);
}

TEST_CASE("http server: after EndKeepAlive an idle connection still gets its answer, which closes it",
          "[server][http]") {
  Fixture f;
  f.Begin(Echo());
  Client before(f.port), idle(f.port);
  before.Send(Post("/a", "one"));
  std::string kept = before.ReadResponses(1);
  CHECK(kept.find("Connection: close") == std::string::npos);
  f.server->EndKeepAlive();
  // A request on a connection opened before, and one on a new connection: both are
  // answered, and both answers close.
  idle.Send(Post("/b", "two"));
  std::string last = idle.ReadAll();
  CHECK(last.find("POST /b two") != std::string::npos);
  CHECK(last.find("Connection: close") != std::string::npos);
  Client fresh(f.port);
  fresh.Send(Post("/c", "three") + Post("/d", "four"));
  std::string only = fresh.ReadAll();
  CHECK(only.find("POST /c three") != std::string::npos);
  CHECK(only.find("POST /d four") == std::string::npos);  // the connection closed after the first answer
  before.Send(Post("/e", "five"));
  CHECK(before.ReadAll().find("POST /e five") != std::string::npos);
  for (int i = 0; i < 200 && f.server->open_connections() > 0; ++i) std::this_thread::sleep_for(5ms);
  CHECK(f.server->open_connections() == 0);
}

TEST_CASE("http server: a port in use is an error, not a shared port", "[server][http]") {
  Fixture f;
  f.Begin(Echo());
  HttpServer second(HttpLimits{}, 1, {});
  Listener l;
  l.address = "127.0.0.1";
  l.port = f.port;
  l.handler = Echo();
  std::string error;
  CHECK(second.Listen(std::move(l), &error) == -1);
  CHECK(error == "cannot listen on 127.0.0.1:" + std::to_string(f.port) + ": Address already in use");
}
