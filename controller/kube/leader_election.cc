#include "kube/leader_election.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace clausegate::kube {
namespace {

// metav1.MicroTime: RFC 3339 with microseconds, UTC.
std::string MicroTimeNow() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros % 1000000));
  return buf;
}

// A field of the Lease as it came (null or another type reads as empty or zero).
std::string Str(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}
long long Int(const nlohmann::json& o, const char* key, long long fallback) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}
std::string Body(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

LeaderElector::LeaderElector(KubeConfig config, LeaseOptions options, std::function<void(bool)> on_change,
                             std::ostream& log)
    : config_(std::move(config)), options_(std::move(options)), on_change_(std::move(on_change)), log_(log) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::Wait(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, d, [this] { return stop_.load(); });
  return !stop_.load();
}

void LeaderElector::SetLeading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  if (leading) ++transitions_;
  log_ << nlohmann::json{{"msg", leading ? "leading" : "not leading"},
                         {"lease", options_.namespace_name + "/" + options_.name},
                         {"identity", options_.identity}}
              .dump()
       << "\n";
  if (on_change_) on_change_(leading);
}

void LeaderElector::Run() {
  while (!stop_.load()) {
    Attempt a = TryAcquireOrRenew();
    auto now = std::chrono::steady_clock::now();
    if (a == Attempt::kHeld) {
      last_renewed_ = now;
      SetLeading(true);
    } else if (a == Attempt::kHeldByOther) {
      SetLeading(false);
    } else if (leading_.load() && now - last_renewed_ > options_.renew_deadline) {
      // Not renewed in time: others may take over after the lease duration, so stop first.
      SetLeading(false);
    }
    if (!Wait(options_.retry_period)) break;
  }
  if (leading_.load()) {
    Release();
    SetLeading(false);
  }
}

LeaderElector::Attempt LeaderElector::TryAcquireOrRenew() {
  auto client = MakeKubeClient(config_);
  auto timeout = std::chrono::duration_cast<std::chrono::seconds>(options_.renew_deadline).count();
  client->set_connection_timeout(std::max<long long>(1, timeout / 2));
  client->set_read_timeout(std::max<long long>(1, timeout / 2));
  const std::string collection = "/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_name + "/leases";
  const std::string path = collection + "/" + options_.name;
  const std::string now = MicroTimeNow();
  const long long seconds = std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());
  auto res = client->Get(path);
  if (!res) return Attempt::kFailed;
  if (res->status == 404) {
    nlohmann::json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                            {"kind", "Lease"},
                            {"metadata", {{"name", options_.name}, {"namespace", options_.namespace_name}}},
                            {"spec",
                             {{"holderIdentity", options_.identity},
                              {"leaseDurationSeconds", seconds},
                              {"acquireTime", now},
                              {"renewTime", now},
                              {"leaseTransitions", 0}}}};
    auto created = client->Post(collection, Body(lease), "application/json");
    return created && created->status == 201 ? Attempt::kHeld : Attempt::kFailed;
  }
  if (res->status != 200) return Attempt::kFailed;
  auto lease = nlohmann::json::parse(res->body, nullptr, false);
  if (!lease.is_object() || !lease.contains("metadata")) return Attempt::kFailed;
  if (!lease.contains("spec") || !lease["spec"].is_object()) lease["spec"] = nlohmann::json::object();
  nlohmann::json& spec = lease["spec"];
  std::string holder = Str(spec, "holderIdentity");
  std::string renew = Str(spec, "renewTime");
  auto steady = std::chrono::steady_clock::now();
  if (holder != observed_holder_ || renew != observed_renew_ || observed_at_ == std::chrono::steady_clock::time_point{}) {
    observed_holder_ = holder;
    observed_renew_ = renew;
    observed_at_ = steady;
  }
  long long duration = Int(spec, "leaseDurationSeconds", seconds);
  bool ours = holder == options_.identity;
  bool expired = steady - observed_at_ > std::chrono::seconds(duration);
  if (!ours && !holder.empty() && !expired) return Attempt::kHeldByOther;
  // Ours to renew, given up (no holder), or not renewed for its duration: take it.
  spec["holderIdentity"] = options_.identity;
  spec["leaseDurationSeconds"] = seconds;
  spec["renewTime"] = now;
  if (!ours) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = Int(spec, "leaseTransitions", 0) + 1;
  }
  // The resourceVersion read above makes this a compare-and-swap: of two replicas
  // that both saw the Lease expire, one gets 409 Conflict.
  auto updated = client->Put(path, Body(lease), "application/json");
  if (!updated) return Attempt::kFailed;
  if (updated->status == 409) return Attempt::kHeldByOther;
  if (updated->status != 200) return Attempt::kFailed;
  observed_holder_ = options_.identity;
  observed_renew_ = now;
  observed_at_ = steady;
  return Attempt::kHeld;
}

void LeaderElector::Release() {
  auto client = MakeKubeClient(config_);
  client->set_connection_timeout(2);
  client->set_read_timeout(2);
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_name + "/leases/" + options_.name;
  auto res = client->Get(path);
  if (!res || res->status != 200) return;
  auto lease = nlohmann::json::parse(res->body, nullptr, false);
  if (!lease.is_object() || !lease.contains("spec") || !lease["spec"].is_object() ||
      Str(lease["spec"], "holderIdentity") != options_.identity) {
    return;
  }
  // As client-go's ReleaseOnCancel: no holder, a one-second duration.
  lease["spec"]["holderIdentity"] = nullptr;
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = MicroTimeNow();
  auto put = client->Put(path, Body(lease), "application/json");
  if (put && put->status == 200) {
    log_ << nlohmann::json{{"msg", "lease given up"}, {"lease", options_.namespace_name + "/" + options_.name}}.dump()
         << "\n";
  }
}

}  // namespace clausegate::kube
