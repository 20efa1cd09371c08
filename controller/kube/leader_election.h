#pragma once
// One replica of several does a job (the audit): whoever holds a
// coordination.k8s.io/v1 Lease, as client-go's leader election does it. The
// holder renews the Lease every retry period; the others take it over once it has
// not been renewed for its duration, measured on their own clock from when they
// last saw it change (the clocks of other machines are never compared). A holder
// that cannot renew within the renew deadline stops leading before anyone may take
// over. Stop() gives the Lease up, so that another replica takes over at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "kube/kube_client.h"

namespace clausegate::kube {

struct LeaseOptions {
  std::string namespace_name;
  std::string name;
  std::string identity;  // this replica: its Pod name
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

class LeaderElector {
 public:
  // `on_change(true)` when this replica starts leading, `on_change(false)` when it
  // stops; called from the elector's thread.
  LeaderElector(KubeConfig config, LeaseOptions options, std::function<void(bool leading)> on_change, std::ostream& log);
  ~LeaderElector();

  void Start();
  void Stop();  // gives the Lease up if held
  bool leading() const { return leading_.load(); }
  uint64_t transitions() const { return transitions_.load(); }  // times this replica took the Lease

 private:
  enum class Attempt { kHeld, kHeldByOther, kFailed };
  void Run();
  Attempt TryAcquireOrRenew();
  void Release();
  void SetLeading(bool leading);
  bool Wait(std::chrono::milliseconds d);  // false once stopping

  KubeConfig config_;
  LeaseOptions options_;
  std::function<void(bool)> on_change_;
  std::ostream& log_;
  std::atomic<bool> leading_{false};
  std::atomic<uint64_t> transitions_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
  // What this replica last saw of the Lease, and when (its own steady clock).
  std::string observed_holder_, observed_renew_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point last_renewed_{};
};

}  // namespace clausegate::kube
