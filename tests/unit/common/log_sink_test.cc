#include "common/log_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace clausegate {
namespace {

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    read = fds[0];
    write = fds[1];
    fcntl(write, F_SETPIPE_SZ, 4096);  // fills after a few lines
  }
  ~Pipe() {
    close(read);
    close(write);
  }
  // Whatever arrives until `quiet` passes with nothing more.
  std::string Drain(std::chrono::milliseconds quiet = std::chrono::milliseconds(300)) const {
    std::string out;
    char buf[65536];
    pollfd p{read, POLLIN, 0};
    while (poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      ssize_t n = ::read(read, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(text.substr(start, nl - start));
  }
  REQUIRE(start == text.size());  // nothing but whole lines
  return out;
}

std::string LineOf(int writer, int i) {
  return "{\"writer\":" + std::to_string(writer) + ",\"i\":" + std::to_string(i) + ",\"pad\":\"" +
         std::string(static_cast<size_t>(i % 97), 'x') + "\"}";
}

TEST_CASE("log lines from many threads arrive whole and in each thread's order") {
  Pipe pipe;
  std::string got;
  std::thread reader([&] { got = pipe.Drain(std::chrono::milliseconds(2000)); });
  {
    LogSink sink(pipe.write, 16 << 20);
    std::ostream& a = sink.NewStream();
    std::ostream& b = sink.NewStream();
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < 2000; ++i) {
          std::string line = LineOf(w, i);
          if (w == 0) {
            sink.Write(line);
          } else {
            // Two threads share one stream, writing each line in pieces.
            std::ostream& s = w == 1 ? a : b;
            s << line.substr(0, 5) << line.substr(5) << "\n" << std::flush;
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    REQUIRE(sink.Flush(std::chrono::milliseconds(10000)));
    CHECK(sink.dropped_lines() == 0);
  }
  reader.join();
  std::map<int, int> next;
  auto lines = Lines(got);
  CHECK(lines.size() == 8000);
  for (const auto& line : lines) {
    int w = std::stoi(line.substr(10));
    size_t at = line.find("\"i\":") + 4;
    int i = std::stoi(line.substr(at));
    CHECK(line == LineOf(w, i));
    CHECK(i == next[w]);
    next[w] = i + 1;
  }
}

TEST_CASE("a reader that stalls costs log lines, counted, and never blocks a writer") {
  Pipe pipe;
  constexpr size_t kMax = 64 * 1024;
  LogSink sink(pipe.write, kMax);
  // Nobody reads: the pipe fills, the queue fills, and every Write still returns.
  size_t most = 0;
  for (int i = 0; i < 100000; ++i) {
    sink.Write(LineOf(0, i));
    if (i % 1000 == 0) most = std::max(most, sink.queued_bytes());
  }
  CHECK(most <= kMax);
  uint64_t dropped = sink.dropped_lines();
  CHECK(dropped > 90000);
  CHECK_FALSE(sink.Flush(std::chrono::milliseconds(50)));

  // Once read again, what was kept arrives whole and in order, and each gap is told
  // by a line saying how many were lost, the last one before the next line logged.
  std::string got;
  std::thread reader([&] { got = pipe.Drain(); });
  REQUIRE(sink.Flush(std::chrono::milliseconds(10000)));
  sink.Write("after");
  REQUIRE(sink.Flush(std::chrono::milliseconds(10000)));
  reader.join();
  auto lines = Lines(got);
  REQUIRE(lines.size() >= 2);
  CHECK(lines.back() == "after");
  CHECK(lines[lines.size() - 2].starts_with("{\"msg\":\"log lines dropped\",\"lines\":"));
  int next = 0;
  uint64_t told = 0;
  const std::string notice = "{\"msg\":\"log lines dropped\",\"lines\":";
  for (size_t k = 0; k + 1 < lines.size(); ++k) {
    if (lines[k].starts_with(notice)) {
      uint64_t n = std::stoull(lines[k].substr(notice.size()));
      told += n;
      next += static_cast<int>(n);
    } else {
      CHECK(lines[k] == LineOf(0, next));
      ++next;
    }
  }
  CHECK(next == 100000);
  CHECK(told == dropped);
  CHECK(sink.dropped_lines() == dropped);
}

TEST_CASE("a sink whose reader never returns is left behind without blocking its owner") {
  signal(SIGPIPE, SIG_IGN);  // the writer left behind may write once the pipe is closed
  Pipe pipe;
  {
    LogSink sink(pipe.write, 64 * 1024);
    sink.close_wait = std::chrono::milliseconds(20);
    for (int i = 0; i < 1000; ++i) sink.Write(LineOf(0, i));
  }  // returns although the writer is blocked
  // Reading lets the writer left behind finish and end.
  std::string got = pipe.Drain();
  CHECK(Lines(got).size() > 0);
}

TEST_CASE("a descriptor that fails for good counts its lines as dropped") {
  signal(SIGPIPE, SIG_IGN);
  Pipe pipe;
  close(pipe.read);
  pipe.read = -1;
  LogSink sink(pipe.write, 1 << 20);
  for (int i = 0; i < 10; ++i) sink.Write(LineOf(0, i));
  REQUIRE(sink.Flush(std::chrono::milliseconds(10000)));
  CHECK(sink.dropped_lines() == 10);
}

}  // namespace
}  // namespace clausegate
