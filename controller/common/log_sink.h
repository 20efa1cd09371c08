#pragma once
// Log lines written to a file descriptor by a thread of their own. Whoever reads
// the descriptor (a container runtime's log copier, a pipe to a collector) may stall;
// a thread that logs must never stall with it: a webhook that blocks on its log
// blocks admission. Lines wait in a bounded queue; past the bound they are dropped,
// counted, and a line saying how many follows once there is room again.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

namespace clausegate {

class LogSink {
 public:
  // `fd` stays open and owned by the caller; `max_queued_bytes` bounds what waits.
  LogSink(int fd, size_t max_queued_bytes);
  // Writes what is queued for at most `close_wait`, then leaves a writer that is
  // still blocked behind (it ends with the process).
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // One line, without its newline. Never blocks on the descriptor; thread-safe.
  void Write(std::string_view line);
  // An ostream whose complete lines go to Write, each thread's apart from the
  // others'. Owned by the sink; one per component, so that components never share
  // stream state.
  std::ostream& NewStream();
  // Until everything queued so far is written, or `within` has passed; true when written.
  bool Flush(std::chrono::milliseconds within);

  uint64_t dropped_lines() const;
  size_t queued_bytes() const;

  std::chrono::milliseconds close_wait{1000};

  struct State;  // shared with the writer thread, which may outlive the sink

 private:
  std::shared_ptr<State> state_;
  std::thread writer_;
  std::list<std::unique_ptr<std::ostream>> streams_;
};

}  // namespace clausegate
