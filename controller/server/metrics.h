#pragma once
// Prometheus text-format metrics of the webhook. Passed in, never global.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace clausegate::server {

class Metrics {
 public:
  // Latency buckets from 100 µs to 10 s.
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.05,    0.1,    0.5,   1.0,    10.0};

  void Review(const std::string& verdict, const std::string& kind, const std::string& operation, double seconds);
  void Violation(const std::string& policy, const std::string& verdict);
  void BadRequest(const std::string& reason);
  // A connection or request refused or cut at a limit of the HTTP layer.
  void Limit(std::string_view reason);
  void TlsReload(bool ok);

  // Text exposition; `generation` and `reload_failures` come from the policy store,
  // `open_connections` from the server.
  std::string Render(uint64_t generation, uint64_t reload_failures, uint64_t open_connections) const;

  // Label sets per metric at most: label values come from requests (kinds), and a
  // client must not grow the metrics without bound. Past it, kind is "(other)".
  static constexpr size_t kMaxSeries = 1000;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> reviews_;     // labels -> count
  std::map<std::string, uint64_t> violations_;  // labels -> count
  std::map<std::string, uint64_t> bad_;         // reason -> count
  std::map<std::string, uint64_t> limits_;      // reason -> count
  std::array<uint64_t, kBuckets.size()> bucket_counts_{};
  uint64_t tls_reloads_ = 0, tls_reload_failures_ = 0;
  uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

}  // namespace clausegate::server
