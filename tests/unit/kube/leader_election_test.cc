// Leader election against a fake API server of our own that stores one Lease with
// resourceVersion compare-and-swap, as the API server does.

#include "kube/leader_election.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

using namespace clausegate::kube;

namespace {

class FakeLeases {
 public:
  FakeLeases() {
    const std::string path = "/apis/coordination.k8s.io/v1/namespaces/ns/leases";
    server_.Get(path + "/audit", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      if (lease_.is_null()) {
        res.status = 404;
        return;
      }
      res.set_content(lease_.dump(), "application/json");
    });
    server_.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!lease_.is_null()) {
        res.status = 409;
        return;
      }
      lease_ = nlohmann::json::parse(req.body);
      lease_["metadata"]["resourceVersion"] = std::to_string(++version_);
      res.status = 201;
      res.set_content(lease_.dump(), "application/json");
    });
    server_.Put(path + "/audit", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto next = nlohmann::json::parse(req.body);
      if (lease_.is_null() || next["metadata"].value("resourceVersion", "") != lease_["metadata"]["resourceVersion"]) {
        res.status = 409;  // someone else wrote it since it was read
        return;
      }
      lease_ = next;
      lease_["metadata"]["resourceVersion"] = std::to_string(++version_);
      res.set_content(lease_.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeLeases() {
    server_.stop();
    thread_.join();
  }
  KubeConfig Config() const {
    KubeConfig c;
    c.host = "127.0.0.1";
    c.port = port_;
    c.https = false;
    return c;
  }
  std::string Holder() {
    std::lock_guard<std::mutex> lock(mu_);
    if (lease_.is_null() || !lease_["spec"]["holderIdentity"].is_string()) return "";
    return lease_["spec"]["holderIdentity"].get<std::string>();
  }
  // A Lease held by `holder`, last renewed now.
  void SetHolder(const std::string& holder, int seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    lease_ = {{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", {{"name", "audit"}, {"namespace", "ns"}, {"resourceVersion", std::to_string(++version_)}}},
              {"spec", {{"holderIdentity", holder}, {"leaseDurationSeconds", seconds}, {"renewTime", "2026-12-04T00:00:00.000000Z"},
                        {"leaseTransitions", 0}}}};
  }
  int64_t Transitions() {
    std::lock_guard<std::mutex> lock(mu_);
    return lease_.is_null() ? -1 : lease_["spec"].value("leaseTransitions", int64_t{-1});
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  nlohmann::json lease_;
  int version_ = 0;
};

LeaseOptions Options(const std::string& identity) {
  LeaseOptions o;
  o.namespace_name = "ns";
  o.name = "audit";
  o.identity = identity;
  o.lease_duration = std::chrono::milliseconds(2000);
  o.renew_deadline = std::chrono::milliseconds(1500);
  o.retry_period = std::chrono::milliseconds(200);
  return o;
}

template <typename P>
bool Within(std::chrono::milliseconds limit, P pred) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace

TEST_CASE("leader election: one of two leads; a clean stop hands over at once", "[kube]") {
  FakeLeases api;
  std::ostringstream log_a, log_b;
  LeaderElector a(api.Config(), Options("a"), nullptr, log_a);
  LeaderElector b(api.Config(), Options("b"), nullptr, log_b);
  a.Start();
  REQUIRE(Within(std::chrono::milliseconds(3000), [&] { return a.leading(); }));
  b.Start();
  // b sees a renewing: for several lease durations it never leads.
  std::this_thread::sleep_for(std::chrono::milliseconds(5000));
  CHECK(a.leading());
  CHECK_FALSE(b.leading());
  CHECK(api.Holder() == "a");
  // a stops and gives the Lease up: b takes it well within a lease duration.
  auto stopped = std::chrono::steady_clock::now();
  a.Stop();
  CHECK_FALSE(a.leading());
  REQUIRE(Within(std::chrono::milliseconds(2000), [&] { return b.leading(); }));
  CHECK(std::chrono::steady_clock::now() - stopped < std::chrono::milliseconds(2000));
  CHECK(api.Holder() == "b");
  CHECK(api.Transitions() == 1);
  CHECK(log_a.str().find("\"lease given up\"") != std::string::npos);
  b.Stop();
}

TEST_CASE("leader election: a holder that stopped renewing is replaced after the lease duration", "[kube]") {
  FakeLeases api;
  api.SetHolder("dead", 2);  // a replica killed while it held the Lease: it never renews again
  std::ostringstream log_b;
  std::atomic<int> changes{0};
  LeaderElector b(api.Config(), Options("b"), [&](bool leading) { changes += leading ? 1 : 100; }, log_b);
  auto started = std::chrono::steady_clock::now();
  b.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK_FALSE(b.leading());  // the Lease still looks alive from where b stands
  REQUIRE(Within(std::chrono::milliseconds(4000), [&] { return b.leading(); }));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= std::chrono::milliseconds(2000));  // not before the lease duration, on b's own clock
  CHECK(took < std::chrono::milliseconds(2000 + 2000));  // soon after it (a retry period, and room for a busy machine)
  CHECK(api.Holder() == "b");
  CHECK(api.Transitions() == 1);
  CHECK(changes.load() == 1);
  b.Stop();
  CHECK(changes.load() == 101);
  CHECK(api.Holder() == "");  // given up on stop
}

TEST_CASE("leader election: an API server that is away stops the leader within the renew deadline", "[kube]") {
  auto api = std::make_unique<FakeLeases>();
  KubeConfig config = api->Config();
  std::ostringstream log;
  LeaderElector a(config, Options("a"), nullptr, log);
  a.Start();
  REQUIRE(Within(std::chrono::milliseconds(3000), [&] { return a.leading(); }));
  api.reset();  // nothing answers any more
  auto gone = std::chrono::steady_clock::now();
  REQUIRE(Within(std::chrono::milliseconds(4000), [&] { return !a.leading(); }));
  // Before anyone else could take the Lease over (its duration, 2 s).
  CHECK(std::chrono::steady_clock::now() - gone < std::chrono::milliseconds(2000));
  a.Stop();
}
