#include "common/log_sink.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace clausegate {

struct LogSink::State {
  State(int f, size_t m) : fd(f), max(m) {}

  // The writer: takes the whole queue at once and writes it, while Write goes on
  // filling the other buffer.
  void Run() {
    std::string batch;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      waiting = true;
      wake.wait(lock, [&] { return !queue.empty() || stop; });
      waiting = false;
      if (queue.empty()) break;  // stopped, and nothing left
      batch.swap(queue);
      lock.unlock();
      size_t lost = WriteAll(batch);
      lock.lock();
      written += batch.size();
      dropped += lost;
      batch.clear();
      done.notify_all();
    }
    exited = true;
    done.notify_all();
  }

  // Lines that could not be written (the descriptor failed for good) are counted as dropped.
  size_t WriteAll(const std::string& bytes) {
    size_t at = 0;
    while (at < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
      if (n > 0) {
        at += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        size_t lost = 0;
        for (size_t i = at; i < bytes.size(); ++i) lost += bytes[i] == '\n';
        return lost;
      }
    }
    return 0;
  }

  void Write(std::string_view line) {
    bool notify;
    {
      std::lock_guard<std::mutex> lock(mu);
      std::string notice;
      if (unreported > 0) notice = R"({"msg":"log lines dropped","lines":)" + std::to_string(unreported) + "}\n";
      // Once full, lines are dropped until half the queue is written: one gap and
      // one notice per stall, not a line kept here and there.
      if (!shedding || queue.size() <= max / 2) shedding = queue.size() + notice.size() + line.size() + 1 > max;
      if (shedding) {
        ++dropped;
        ++unreported;
        return;
      }
      queue += notice;
      queue.append(line);
      queue += '\n';
      enqueued += notice.size() + line.size() + 1;
      unreported = 0;
      notify = waiting;
    }
    if (notify) wake.notify_one();
  }

  const int fd;
  const size_t max;
  std::mutex mu;
  std::condition_variable wake, done;
  std::string queue;
  uint64_t enqueued = 0, written = 0;  // bytes, ever
  uint64_t dropped = 0, unreported = 0;
  bool waiting = false, stop = false, exited = false, shedding = false;
};

namespace {

// Bytes from any number of threads become lines, each thread's apart until its newline.
class LineBuffer : public std::streambuf {
 public:
  explicit LineBuffer(LogSink::State& state) : state_(state) {}

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    char ch = traits_type::to_char_type(c);
    Put(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    Put(s, static_cast<size_t>(n));
    return n;
  }

 private:
  void Put(const char* s, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    auto id = std::this_thread::get_id();
    size_t slot = 0;
    while (slot < pending_.size() && pending_[slot].first != id) ++slot;
    if (slot == pending_.size()) pending_.emplace_back(id, std::string());
    std::string& text = pending_[slot].second;
    text.append(s, n);
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      state_.Write(std::string_view(text).substr(start, nl - start));
    }
    text.erase(0, start);
    if (text.empty()) pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(slot));
  }

  LogSink::State& state_;
  std::mutex mu_;
  std::vector<std::pair<std::thread::id, std::string>> pending_;
};

class LineStream : public std::ostream {
 public:
  explicit LineStream(LogSink::State& state) : std::ostream(nullptr), buffer_(state) { rdbuf(&buffer_); }

 private:
  LineBuffer buffer_;
};

}  // namespace

LogSink::LogSink(int fd, size_t max_queued_bytes) : state_(std::make_shared<State>(fd, max_queued_bytes)) {
  writer_ = std::thread([state = state_] { state->Run(); });
}

LogSink::~LogSink() {
  Flush(close_wait);
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->stop = true;
  state_->wake.notify_one();
  // A writer blocked on a descriptor nobody reads keeps the state alive and ends with the process.
  bool exited = state_->done.wait_for(lock, std::chrono::milliseconds(100), [&] { return state_->exited; });
  lock.unlock();
  if (exited) {
    writer_.join();
  } else {
    writer_.detach();
  }
}

void LogSink::Write(std::string_view line) { state_->Write(line); }

std::ostream& LogSink::NewStream() {
  streams_.push_back(std::make_unique<LineStream>(*state_));
  return *streams_.back();
}

bool LogSink::Flush(std::chrono::milliseconds within) {
  std::unique_lock<std::mutex> lock(state_->mu);
  uint64_t target = state_->enqueued;
  return state_->done.wait_for(lock, within, [&] { return state_->written >= target || state_->exited; });
}

uint64_t LogSink::dropped_lines() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->dropped;
}

size_t LogSink::queued_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->queue.size();
}

}  // namespace clausegate
