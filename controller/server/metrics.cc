#include "server/metrics.h"

#include <sstream>

#include "common/prometheus.h"

namespace clausegate::server {
namespace {

std::string Escape(std::string_view v) { return PrometheusEscape(v); }

}  // namespace

void Metrics::Review(const std::string& verdict, const std::string& kind, const std::string& operation, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto labels = [&](std::string_view k) {
    return "verdict=\"" + Escape(verdict) + "\",kind=\"" + Escape(k) + "\",operation=\"" + Escape(operation) + "\"";
  };
  std::string key = labels(kind.size() <= 63 ? std::string_view(kind) : "(other)");
  if (reviews_.size() >= kMaxSeries && !reviews_.count(key)) key = labels("(other)");
  ++reviews_[key];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++bucket_counts_[i];
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

void Metrics::Violation(const std::string& policy, const std::string& verdict) {
  std::lock_guard<std::mutex> lock(mu_);
  ++violations_["policy=\"" + Escape(policy) + "\",verdict=\"" + Escape(verdict) + "\""];
}

void Metrics::BadRequest(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++bad_["reason=\"" + Escape(reason) + "\""];
}

void Metrics::Limit(std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++limits_["reason=\"" + Escape(reason) + "\""];
}

void Metrics::TlsReload(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? tls_reloads_ : tls_reload_failures_);
}

std::string Metrics::Render(uint64_t generation, uint64_t reload_failures, uint64_t open_connections) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  out << "# HELP clausegate_reviews_total AdmissionReviews answered, by verdict, kind and operation.\n"
      << "# TYPE clausegate_reviews_total counter\n";
  for (const auto& [labels, n] : reviews_) out << "clausegate_reviews_total{" << labels << "} " << n << "\n";
  out << "# HELP clausegate_violations_total Violated rules, by policy and verdict.\n"
      << "# TYPE clausegate_violations_total counter\n";
  for (const auto& [labels, n] : violations_) out << "clausegate_violations_total{" << labels << "} " << n << "\n";
  out << "# HELP clausegate_bad_requests_total Requests refused before evaluation, by reason.\n"
      << "# TYPE clausegate_bad_requests_total counter\n";
  for (const auto& [labels, n] : bad_) out << "clausegate_bad_requests_total{" << labels << "} " << n << "\n";
  out << "# HELP clausegate_http_limits_total Connections and requests refused or cut at a limit, by reason.\n"
      << "# TYPE clausegate_http_limits_total counter\n";
  for (const auto& [labels, n] : limits_) out << "clausegate_http_limits_total{" << labels << "} " << n << "\n";
  out << "# HELP clausegate_http_open_connections Connections open on the webhook and health ports.\n"
      << "# TYPE clausegate_http_open_connections gauge\n"
      << "clausegate_http_open_connections " << open_connections << "\n";
  out << "# HELP clausegate_review_duration_seconds Time from request to response, in the handler.\n"
      << "# TYPE clausegate_review_duration_seconds histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    out << "clausegate_review_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << bucket_counts_[i] << "\n";
  }
  out << "clausegate_review_duration_seconds_bucket{le=\"+Inf\"} " << latency_count_ << "\n"
      << "clausegate_review_duration_seconds_sum " << latency_sum_ << "\n"
      << "clausegate_review_duration_seconds_count " << latency_count_ << "\n"
      << "# HELP clausegate_policy_generation The generation of the policy set in use.\n"
      << "# TYPE clausegate_policy_generation gauge\n"
      << "clausegate_policy_generation " << generation << "\n"
      << "# HELP clausegate_policy_reload_failures_total Policy sets rejected on reload.\n"
      << "# TYPE clausegate_policy_reload_failures_total counter\n"
      << "clausegate_policy_reload_failures_total " << reload_failures << "\n"
      << "# HELP clausegate_tls_reloads_total Certificate reloads, by result.\n"
      << "# TYPE clausegate_tls_reloads_total counter\n"
      << "clausegate_tls_reloads_total{result=\"ok\"} " << tls_reloads_ << "\n"
      << "clausegate_tls_reloads_total{result=\"failed\"} " << tls_reload_failures_ << "\n";
  return out.str();
}

}  // namespace clausegate::server
