#pragma once
// The policy set a request pins: swapped whole, read as one generation.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "engine/engine.h"

namespace clausegate::server {

struct Snapshot {
  std::shared_ptr<const engine::PolicySet> policies;  // null until the first set loads
  uint64_t generation = 0;
};

class PolicyStore {
 public:
  Snapshot Current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  // `files_reloaded`: the new set holds a new reading of the files, so a failure
  // of an earlier reading is no longer the news.
  void Swap(std::shared_ptr<const engine::PolicySet> set, bool files_reloaded = true) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = {std::move(set), current_.generation + 1};
    if (files_reloaded) last_error_.clear();
  }
  void RecordFailure(std::string why) {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = std::move(why);
    ++failures_;
  }
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_error_;
  }
  uint64_t failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  mutable std::mutex mu_;
  Snapshot current_;
  std::string last_error_;
  uint64_t failures_ = 0;
};

}  // namespace clausegate::server
