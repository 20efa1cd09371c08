#pragma once
// TLS straight on a non-blocking socket: OpenSSL reads and writes the descriptor
// itself (SSL_set_fd), and an operation that would block waits for the socket to
// be ready. No memory BIOs and no staging buffers of its own, so an idle
// connection costs the SSL object (its record buffers are released while idle,
// SSL_MODE_RELEASE_BUFFERS), not two 17 KiB buffer pairs. Models Asio's
// AsyncReadStream and AsyncWriteStream, so Beast reads and writes HTTP over it.
//
// One operation at a time per stream: the HTTP session reads or writes, never both.

#include <cerrno>
#include <climits>
#include <string>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace clausegate::server::http {

class TlsStream {
 public:
  using socket_type = boost::asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;
  using error_code = boost::system::error_code;

  TlsStream(socket_type&& socket, SSL_CTX* ctx) : socket_(std::move(socket)), ssl_(SSL_new(ctx)) {
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ssl_) {
      SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
      SSL_set_accept_state(ssl_);
      SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
  }
  ~TlsStream() {
    if (ssl_) SSL_free(ssl_);
  }
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  socket_type& socket() { return socket_; }
  SSL* native_handle() { return ssl_; }

  template <class Token>
  auto async_handshake(Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(
        Op<Handshake, Unit>{this, Handshake{}}, token, socket_);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
        Op<Read, Count>{this, Read{First(buffers)}}, token, socket_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
        Op<Write, Count>{this, Write{Gather(buffers)}}, token, socket_);
  }

 private:
  // What one OpenSSL call does: > 0 done (bytes, or 1), else an SSL_get_error code.
  struct Handshake {
    int operator()(SSL* ssl) const { return SSL_do_handshake(ssl); }
  };
  struct Read {
    boost::asio::mutable_buffer buffer;
    int operator()(SSL* ssl) const { return SSL_read(ssl, buffer.data(), Clamp(buffer.size())); }
    bool empty() const { return buffer.size() == 0; }
  };
  struct Write {
    boost::asio::const_buffer buffer;
    int operator()(SSL* ssl) const { return SSL_write(ssl, buffer.data(), Clamp(buffer.size())); }
    bool empty() const { return buffer.size() == 0; }
  };
  struct Unit {
    static constexpr bool kCounts = false;
  };
  struct Count {
    static constexpr bool kCounts = true;
  };

  static int Clamp(std::size_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

  template <class Buffers>
  static auto First(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::buffer_size(*it) > 0) return *it;
    }
    return *boost::asio::buffer_sequence_begin(buffers);
  }

  template <class Call, class Result>
  struct Op {
    TlsStream* stream;
    Call call;
    enum { kStart, kWaiting, kDone } state = kStart;
    error_code result;
    std::size_t bytes = 0;

    template <class Self>
    void operator()(Self& self, error_code wait_error = {}) {
      if (state == kDone) return Finish(self);
      if (state == kWaiting && wait_error) {
        result = wait_error;  // closed under us (deadline, shutdown) or a socket error
        return Finish(self);
      }
      bool started = state == kStart;
      if (!stream->ssl_) {
        result = boost::asio::error::no_memory;
      } else if constexpr (Result::kCounts) {
        if (call.empty()) return Complete(self, started);
      }
      if (!result) {
        ERR_clear_error();
        int n = call(stream->ssl_);
        if (n > 0) {
          bytes = Result::kCounts ? static_cast<std::size_t>(n) : 0;
        } else {
          int e = SSL_get_error(stream->ssl_, n);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            state = kWaiting;
            stream->socket_.async_wait(e == SSL_ERROR_WANT_READ ? socket_type::wait_read : socket_type::wait_write,
                                       std::move(self));
            return;
          }
          result = ErrorOf(e);
        }
      }
      Complete(self, started);
    }

    // An operation that finished without waiting completes through the executor,
    // never inside the call that started it.
    template <class Self>
    void Complete(Self& self, bool started) {
      if (started) {
        state = kDone;
        boost::asio::post(stream->socket_.get_executor(), std::move(self));
        return;
      }
      Finish(self);
    }

    template <class Self>
    void Finish(Self& self) {
      if constexpr (Result::kCounts) {
        self.complete(result, bytes);
      } else {
        self.complete(result);
      }
    }

    static error_code ErrorOf(int e) {
      if (e == SSL_ERROR_ZERO_RETURN) return boost::asio::error::eof;  // close_notify
      if (e == SSL_ERROR_SYSCALL) {
        unsigned long queued = ERR_get_error();
        if (queued != 0) return {static_cast<int>(queued), boost::asio::error::get_ssl_category()};
        if (errno != 0) return {errno, boost::system::system_category()};
        return boost::asio::error::eof;  // the peer closed the connection without close_notify
      }
      unsigned long queued = ERR_get_error();
      return {static_cast<int>(queued ? queued : static_cast<unsigned long>(e)), boost::asio::error::get_ssl_category()};
    }
  };

  // A response is a header and a body in two buffers: written together they make one
  // TLS record and one send, not two. Larger sequences go a buffer at a time.
  template <class Buffers>
  boost::asio::const_buffer Gather(const Buffers& buffers) {
    constexpr std::size_t kGather = 16 * 1024;
    std::size_t total = 0, parts = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      total += boost::asio::buffer_size(*it);
      parts += boost::asio::buffer_size(*it) > 0;
    }
    if (parts < 2 || total > kGather) return First(buffers);
    gathered_.resize(total);
    boost::asio::buffer_copy(boost::asio::buffer(gathered_), buffers);
    return boost::asio::buffer(gathered_);
  }

  socket_type socket_;
  SSL* ssl_;
  std::string gathered_;  // the write in progress, when gathered
};

}  // namespace clausegate::server::http
