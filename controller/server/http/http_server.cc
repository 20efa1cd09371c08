#include "server/http/http_server.h"

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "server/http/tls_stream.h"

namespace clausegate::server::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// Where a connection is: what the server may do to it when it needs room or shuts
// down. Idle, handshaking or still reading headers: close it; past the headers:
// let the request finish.
enum class State : int { kHandshake, kIdle, kHeader, kBody, kHandling, kWriting, kClosed };

constexpr size_t kReadSize = 8 * 1024;
constexpr std::chrono::milliseconds kLingerTimeout{500};  // reading what a refused client still sends
constexpr size_t kLingerBytes = 16 * 1024 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Text from a request, made safe to echo: bounded, printable ASCII.
std::string Shown(std::string_view s, size_t max = 64) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > max) out += "...";
  return out;
}

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  // From any thread. `force`: whatever it is doing; else only if it is not in the
  // middle of a request (then its response closes it).
  virtual void Close(bool force) = 0;

  std::atomic<State> state{State::kHandshake};
  std::atomic<int64_t> idle_since{0};  // steady clock, ns
  std::list<std::weak_ptr<ConnectionBase>>::iterator registered;
};

}  // namespace

struct HttpServer::Impl {
  struct Bound {
    std::unique_ptr<tcp::acceptor> acceptor;
    SSL_CTX* tls = nullptr;  // owned; null for plain HTTP
    Handler handler;
    std::unique_ptr<net::steady_timer> retry;  // after accept errors (out of descriptors)
    // Under Impl::mu. Each port has its own connection limit: a flood of the webhook
    // port never locks the kubelet out of the health port.
    std::list<std::weak_ptr<ConnectionBase>> connections;
    size_t open = 0;
    ~Bound() {
      if (tls) SSL_CTX_free(tls);
    }
  };

  Impl(HttpLimits l, int t, HttpEvents e) : limits(l), threads(std::max(1, t)), events(std::move(e)) {
    for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  }
  // Connections are spread over the contexts, each run by one thread: a connection's
  // handlers never move between threads, so nothing wakes another thread per step.
  net::io_context& NextContext() { return *contexts[next.fetch_add(1) % contexts.size()]; }

  void Accept(Bound* b);
  void OnAccept(Bound* b, error_code ec, tcp::socket socket);
  bool MakeRoom(Bound* b);
  void Register(Bound* b, const std::shared_ptr<ConnectionBase>& c);
  void Unregister(Bound* b, ConnectionBase* c);
  std::vector<std::shared_ptr<ConnectionBase>> Connections(Bound* only = nullptr);
  void Limit(std::string_view reason) {
    if (events.limit) events.limit(reason);
  }
  void Log(const std::string& line) {
    if (events.log) events.log(line);
  }

  HttpLimits limits;
  int threads;
  HttpEvents events;
  std::atomic<bool> draining{false};
  std::atomic<bool> keep_alive_ended{false};
  // The registry outlives the I/O context: connections destroyed with it unregister.
  std::mutex mu;
  std::condition_variable drained;
  size_t open = 0;  // on every port, under mu
  std::vector<std::unique_ptr<Bound>> bound;  // the registry's lists; acceptors are closed before the context goes
  std::vector<std::unique_ptr<net::io_context>> contexts;  // one per I/O thread; the first also accepts
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  bool started = false, stopped = false;
};

namespace {

template <bool kTls>
class Connection : public ConnectionBase {
  using Stream = std::conditional_t<kTls, TlsStream, tcp::socket>;

 public:
  Connection(tcp::socket&& socket, HttpServer::Impl& server, HttpServer::Impl::Bound& bound)
      : server_(server), bound_(bound), stream_(MakeStream(std::move(socket), bound.tls)),
        deadline_(stream_.get_executor()), buffer_(server.limits.max_header_bytes + 64 * 1024) {}

  ~Connection() override { server_.Unregister(&bound_, this); }

  void Start() {
    net::post(stream_.get_executor(), [self = Self()] { self->Begin(); });
  }

  void Close(bool force) override {
    net::post(stream_.get_executor(), [self = Self(), force] {
      State s = self->state.load();
      if (force || s == State::kHandshake || s == State::kIdle || s == State::kHeader) {
        self->CloseSocket();  // the pending operation ends with operation_aborted
      } else {
        self->closing_ = true;  // the response in progress says Connection: close
      }
    });
  }

 private:
  static Stream MakeStream(tcp::socket&& socket, SSL_CTX* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<Connection> Self() { return std::static_pointer_cast<Connection>(shared_from_this()); }
  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.socket();
    } else {
      return stream_;
    }
  }
  const HttpLimits& limits() const { return server_.limits; }

  // One deadline at a time; when it passes, the socket closes and whatever is pending
  // ends with an error that Failed() attributes to `reason`.
  void Arm(std::chrono::milliseconds after, const char* reason) {
    uint64_t generation = ++deadline_generation_;
    deadline_.expires_after(after);
    deadline_.async_wait([weak = weak_from_this(), generation, reason](error_code e) {
      auto base = weak.lock();
      if (e || !base) return;
      auto* self = static_cast<Connection*>(base.get());
      if (self->deadline_generation_ != generation) return;  // re-armed after it fired
      self->expired_ = reason;
      self->CloseSocket();
    });
  }

  void CloseSocket() {
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }

  void Begin() {
    error_code ec;
    socket().set_option(tcp::no_delay(true), ec);  // Nagle would add tens of ms per response
    peer_ = socket().remote_endpoint(ec);
    if constexpr (kTls) {
      state = State::kHandshake;
      Arm(limits().handshake_timeout, "handshake_timeout");
      stream_.async_handshake([self = Self()](error_code e) {
        if (e) return self->Failed(e, "handshake");
        self->WaitForRequest();
      });
    } else {
      WaitForRequest();
    }
  }

  // Between requests: bytes already buffered (pipelining) start the next request at
  // once; otherwise wait, up to the idle timeout, for its first byte.
  void WaitForRequest() {
    if (closing_ || server_.draining.load()) return Done();
    if (buffer_.size() > 0) return ReadHeader();
    state = State::kIdle;
    idle_since = std::chrono::steady_clock::now().time_since_epoch().count();
    buffer_.shrink_to_fit();  // an idle connection holds no request buffer
    Arm(limits().idle_timeout, nullptr);  // an idle close is no limit hit
    stream_.async_read_some(buffer_.prepare(kReadSize), [self = Self()](error_code e, size_t n) {
      self->buffer_.commit(n);
      if (e) return self->Done();  // closed, timed out or cut while idle: nothing to answer
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    state = State::kHeader;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    parser_->body_limit(limits().max_body_bytes);
    // One deadline for the whole request, headers and body: a client that trickles
    // bytes gains nothing.
    Arm(limits().request_timeout, "request_timeout");
    bhttp::async_read_header(stream_, buffer_, *parser_, [self = Self()](error_code e, size_t) {
      if (e) return self->Failed(e, "header");
      self->OnHeader();
    });
  }

  void OnHeader() {
    const auto& req = parser_->get();
    size_t fields = static_cast<size_t>(std::distance(req.begin(), req.end()));
    if (fields > limits().max_header_fields) {
      return Refuse(431, "too_many_headers", "more than " + std::to_string(limits().max_header_fields) + " header fields");
    }
    if (req.target().size() > limits().max_target_bytes) {
      return Refuse(414, "target_too_long", "request target longer than " + std::to_string(limits().max_target_bytes) + " bytes");
    }
    // Bodies are taken as sent: nothing is decompressed (a small body may inflate to
    // anything).
    std::string_view encoding = Trim(req[bhttp::field::content_encoding]);
    if (!encoding.empty() && Lower(encoding) != "identity") {
      return Refuse(415, "content_encoding", "Content-Encoding \"" + Shown(encoding) + "\" is not accepted; send the body uncompressed");
    }
    state = State::kBody;
    if (Lower(Trim(req[bhttp::field::expect])) == "100-continue") {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *cont, [self = Self(), cont](error_code e, size_t) {
        if (e) return self->Failed(e, "write");
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = Self()](error_code e, size_t) {
      if (e) return self->Failed(e, "body");
      self->Handle();
    });
  }

  void Handle() {
    state = State::kHandling;
    ++deadline_generation_;  // evaluation has its own deadline; no socket deadline now
    deadline_.cancel();
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[bhttp::field::content_type]);
    request.body = std::move(req.body());
    bool keep_alive = req.keep_alive();
    parser_.reset();
    HttpResponse response;
    try {
      response = bound_.handler(request);
    } catch (const std::exception& e) {
      server_.Log(nlohmann::json{{"msg", "handler failed"}, {"error", e.what()}}.dump(-1, ' ', false,
                                                                                      nlohmann::json::error_handler_t::replace));
      response = {500, "text/plain", "internal error\n", {}};
    }
    Respond(std::move(response), keep_alive, false);
  }

  // `linger`: the client may still be sending what was not read; read and drop it
  // for a moment after the response, so that closing does not reset the connection
  // before the client has the answer.
  void Respond(HttpResponse r, bool keep_alive, bool linger) {
    state = State::kWriting;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), 11);
    res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive && !linger && !closing_ && !server_.draining.load() &&
                    !server_.keep_alive_ended.load());
    res->prepare_payload();
    Arm(limits().write_timeout, "write_timeout");
    bhttp::async_write(stream_, *res, [self = Self(), res, linger](error_code e, size_t) {
      if (e) return self->Failed(e, "write");
      if (linger) return self->Linger();
      if (!res->keep_alive()) return self->Done();
      self->WaitForRequest();
    });
  }

  void Refuse(int status, std::string_view reason, const std::string& message) {
    Limit(reason);
    Respond({status, "text/plain", message + "\n", {}}, false, true);
  }

  void Linger() {
    state = State::kClosed;
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    Arm(kLingerTimeout, nullptr);
    LingerRead();
  }

  void LingerRead() {
    buffer_.clear();
    socket().async_read_some(buffer_.prepare(kReadSize), [self = Self()](error_code e, size_t n) {
      self->lingered_ += n;
      if (e || self->lingered_ > kLingerBytes) return self->Done();
      self->LingerRead();
    });
  }

  void Failed(const error_code& e, std::string_view stage) {
    if (expired_) {
      // The deadline closed the socket: nothing can be answered.
      Limit(expired_);
      return Done();
    }
    if (stage == "header" || stage == "body") {
      if (e == bhttp::error::end_of_stream || e == net::error::operation_aborted || e == net::error::eof ||
          e == bhttp::error::partial_message) {
        return Done();  // the client went away, or the server closed it
      }
      if (e == bhttp::error::header_limit || e == bhttp::error::buffer_overflow) {
        return Refuse(431, "header_too_large", "request header over " + std::to_string(limits().max_header_bytes) + " bytes");
      }
      if (e == bhttp::error::body_limit) {
        return Refuse(413, "body_too_large", "request body over " + std::to_string(limits().max_body_bytes) + " bytes");
      }
      if (e.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return Refuse(400, "malformed", "malformed HTTP request: " + e.message());
      }
    } else if (stage == "handshake" && e != net::error::operation_aborted && e != net::error::eof) {
      Limit("handshake_failed");
    }
    Done();
  }

  void Done() {
    state = State::kClosed;
    ++deadline_generation_;
    deadline_.cancel();
    CloseSocket();
  }

  // Logged once per connection, counted every time; never request contents.
  void Limit(std::string_view reason) {
    server_.Limit(reason);
    if (logged_) return;
    logged_ = true;
    server_.Log(nlohmann::json{{"msg", "connection limit"}, {"reason", reason}, {"peer", peer_.address().to_string()},
                               {"tls", kTls}}
                    .dump());
  }

  HttpServer::Impl& server_;
  HttpServer::Impl::Bound& bound_;
  Stream stream_;
  net::steady_timer deadline_;
  uint64_t deadline_generation_ = 0;
  const char* expired_ = nullptr;  // the limit whose deadline closed the socket
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  tcp::endpoint peer_;
  bool closing_ = false, logged_ = false;
  size_t lingered_ = 0;
};

}  // namespace

void HttpServer::Impl::Register(Bound* b, const std::shared_ptr<ConnectionBase>& c) {
  std::lock_guard<std::mutex> lock(mu);
  b->connections.push_front(c);
  c->registered = b->connections.begin();
  ++b->open;
  ++open;
}

void HttpServer::Impl::Unregister(Bound* b, ConnectionBase* c) {
  std::lock_guard<std::mutex> lock(mu);
  b->connections.erase(c->registered);
  --b->open;
  if (--open == 0) drained.notify_all();
}

std::vector<std::shared_ptr<ConnectionBase>> HttpServer::Impl::Connections(Bound* only) {
  std::vector<std::shared_ptr<ConnectionBase>> out;
  std::lock_guard<std::mutex> lock(mu);
  for (auto& b : bound) {
    if (only && b.get() != only) continue;
    for (auto& w : b->connections) {
      if (auto c = w.lock()) out.push_back(std::move(c));
    }
  }
  return out;
}

// At the limit, the connection idle for longest makes room: an idle flood cannot
// lock out the API server's new connections.
bool HttpServer::Impl::MakeRoom(Bound* b) {
  std::shared_ptr<ConnectionBase> oldest;
  for (auto& c : Connections(b)) {
    if (c->state.load() != State::kIdle) continue;
    if (!oldest || c->idle_since.load() < oldest->idle_since.load()) oldest = c;
  }
  if (!oldest) return false;
  oldest->Close(false);
  Limit("idle_evicted");
  return true;
}

void HttpServer::Impl::Accept(Bound* b) {
  b->acceptor->async_accept(NextContext(), [this, b](error_code ec, tcp::socket socket) {
    OnAccept(b, ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(Bound* b, error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || draining.load()) return;
  if (ec) {
    // Out of descriptors or memory: try again shortly rather than spin.
    Limit("accept_failed");
    b->retry->expires_after(std::chrono::milliseconds(50));
    b->retry->async_wait([this, b](error_code e) {
      if (!e && !draining.load()) Accept(b);
    });
    return;
  }
  size_t now_open;
  {
    std::lock_guard<std::mutex> lock(mu);
    now_open = b->open;
  }
  if (now_open >= limits.max_connections && !MakeRoom(b)) {
    Limit("too_many_connections");
    error_code ignored;
    socket.close(ignored);  // refused at once; the connections already open keep working
    Accept(b);
    return;
  }
  if (b->tls) {
    auto t = std::make_shared<Connection<true>>(std::move(socket), *this, *b);
    Register(b, t);
    t->Start();
  } else {
    auto p = std::make_shared<Connection<false>>(std::move(socket), *this, *b);
    Register(b, p);
    p->Start();
  }
  Accept(b);
}

HttpServer::HttpServer(HttpLimits limits, int threads, HttpEvents events)
    : impl_(std::make_unique<Impl>(limits, threads, std::move(events))) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

int HttpServer::Listen(Listener listener, std::string* error) {
  auto b = std::make_unique<Impl::Bound>();
  b->handler = std::move(listener.handler);
  if (listener.configure_tls) {
    b->tls = SSL_CTX_new(TLS_server_method());
    if (!b->tls) {
      *error = "cannot create a TLS context";
      return -1;
    }
    if (!listener.configure_tls(b->tls, error)) return -1;
  }
  error_code ec;
  auto address = net::ip::make_address(listener.address, ec);
  if (ec) {
    *error = "cannot listen on \"" + listener.address + "\": not an IP address";
    return -1;
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(listener.port));
  auto where = [&] { return listener.address + ":" + std::to_string(listener.port); };
  b->acceptor = std::make_unique<tcp::acceptor>(*impl_->contexts[0]);
  b->retry = std::make_unique<net::steady_timer>(b->acceptor->get_executor());
  // SO_REUSEADDR lets a restarted server bind past TIME_WAIT; without SO_REUSEPORT a
  // second server on the same port fails here instead of sharing its traffic.
  b->acceptor->open(endpoint.protocol(), ec);
  if (!ec) b->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) b->acceptor->bind(endpoint, ec);
  if (!ec) b->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + where() + ": " + ec.message();
    return -1;
  }
  int port = b->acceptor->local_endpoint(ec).port();
  Impl::Bound* raw = b.get();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->bound.push_back(std::move(b));
  }
  net::post(raw->acceptor->get_executor(), [impl = impl_.get(), raw] { impl->Accept(raw); });
  return port;
}

void HttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return;
  s.started = true;
  for (auto& ctx : s.contexts) {
    s.work.push_back(net::make_work_guard(*ctx));
    net::io_context* c = ctx.get();
    s.workers.emplace_back([&s, c] {
      for (;;) {
        try {
          c->run();
          return;
        } catch (const std::exception& e) {
          s.Log(nlohmann::json{{"msg", "I/O thread caught an error; it goes on"}, {"error", e.what()}}.dump(
              -1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
      }
    });
  }
}

void HttpServer::EndKeepAlive() { impl_->keep_alive_ended.store(true); }

void HttpServer::Shutdown(std::chrono::milliseconds drain) {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.draining.store(true);
  for (auto& b : s.bound) {
    net::post(b->acceptor->get_executor(), [acceptor = b->acceptor.get(), retry = b->retry.get()] {
      error_code ignored;
      acceptor->close(ignored);
      retry->cancel();
    });
  }
  auto wait = [&](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(s.mu);
    return s.drained.wait_for(lock, d, [&] { return s.open == 0; });
  };
  if (s.started) {
    for (auto& c : s.Connections()) c->Close(false);
    if (!wait(drain)) {
      for (auto& c : s.Connections()) c->Close(true);
      wait(std::chrono::milliseconds(1000));
    }
  }
  s.work.clear();
  for (auto& ctx : s.contexts) ctx->stop();
  for (auto& t : s.workers) t.join();
  s.workers.clear();
  for (auto& b : s.bound) {
    error_code ignored;
    b->acceptor->close(ignored);
    b->retry.reset();
    b->acceptor.reset();  // while the context lives; the lists stay for connections still to go
  }
}

size_t HttpServer::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->open;
}

}  // namespace clausegate::server::http
