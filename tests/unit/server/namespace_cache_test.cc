// The Namespace cache against a fake API server of our own on loopback: list,
// watch events, 410 relist, disconnects.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "common/base64.h"
#include "server/namespace_cache.h"

using namespace clausegate::server;
using clausegate::kube::KubeConfig;

namespace {

std::string Ns(const std::string& name, const std::string& rv, const std::string& labels) {
  return R"({"metadata":{"name":")" + name + R"(","resourceVersion":")" + rv + R"(","labels":)" + labels + "}}";
}

// Waits up to 5 s for `pred`.
template <typename P>
bool Eventually(P pred) {
  for (int i = 0; i < 250; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("namespace cache: list, watch, 410 relist and disconnects", "[server]") {
  httplib::Server api;
  std::atomic<int> lists{0}, watches{0};
  std::atomic<bool> second_list_shape{false};
  // What the watches asked for, checked on the test's thread (assertions are not thread-safe).
  std::mutex versions_mu;
  std::vector<std::string> versions;
  api.Get("/api/v1/namespaces", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("watch") != "1") {
      int n = ++lists;
      std::string items = n == 1 ? "[" + Ns("a", "5", R"({"env":"prod"})") + "]"
                                 : "[" + Ns("c", "20", R"({"env":"test"})") + "]";
      if (n > 1) second_list_shape = true;
      res.set_content(R"({"kind":"NamespaceList","metadata":{"resourceVersion":")" + std::string(n == 1 ? "10" : "20") +
                          R"("},"items":)" + items + "}",
                      "application/json");
      return;
    }
    int w = ++watches;
    {
      std::lock_guard<std::mutex> lock(versions_mu);
      versions.push_back(req.get_param_value("resourceVersion"));
    }
    std::string body;
    if (w == 1) {
      body = R"({"type":"ADDED","object":)" + Ns("b", "11", R"({"team":"x"})") + "}\n" +
             R"({"type":"MODIFIED","object":)" + Ns("a", "12", R"({"env":"dev"})") + "}\n";
    } else if (w == 2) {
      // Resumed from the last event's version, then told it is too old.
      body = R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})" "\n";
    } else if (w == 3) {
      body = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"21"}}})" "\n" +
             std::string(R"({"type":"DELETED","object":)") + Ns("c", "22", "{}") + "}\n";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    res.set_content(body, "application/json");
  });
  int port = api.bind_to_any_port("127.0.0.1");
  std::thread server([&] { api.listen_after_bind(); });

  std::ostringstream log;
  KubeConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.https = false;
  NamespaceCache cache(config, log);
  CHECK_FALSE(cache.synced());
  cache.Start();

  // After the first list and the first watch: a relabelled, b added.
  CHECK(Eventually([&] {
    auto s = cache.Snapshot();
    return s->count("a") && s->at("a").labels.at("env") == "dev" && s->count("b") && s->at("b").labels.at("team") == "x" &&
           s->at("b").object != nullptr;
  }));
  CHECK(cache.synced());
  // 410 Gone: a fresh list replaces everything, then the watch deletes c.
  CHECK(Eventually([&] { return second_list_shape.load() && watches.load() >= 3; }));
  CHECK(Eventually([&] {
    auto s = cache.Snapshot();
    return s->empty();
  }));
  CHECK(lists.load() == 2);
  cache.Stop();
  {
    std::lock_guard<std::mutex> lock(versions_mu);
    REQUIRE(versions.size() >= 3);
    CHECK(versions[0] == "10");
    CHECK(versions[1] == "12");
    CHECK(versions[2] == "20");
  }
  api.stop();
  server.join();
  CHECK(log.str().find("410") != std::string::npos);
}

TEST_CASE("namespace cache: an unreachable API server is retried, never fatal", "[server]") {
  std::ostringstream log;
  KubeConfig config;
  config.host = "127.0.0.1";
  config.port = 9;  // discard: nothing listens
  config.https = false;
  NamespaceCache cache(config, log);
  cache.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(cache.synced());
  CHECK(cache.Snapshot()->empty());
  cache.Stop();  // returns promptly even while backing off
}

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("namespace cache: kubeconfig with inline CA and client certificate over mTLS", "[server]") {
  std::string dir = "/tmp/clausegate-kubeconfig-test-" + std::to_string(::getpid());
  REQUIRE(std::system(("bash " + std::string(CLAUSEGATE_SOURCE_DIR) + "/scripts/dev-certs.sh " + dir).c_str()) == 0);
  httplib::SSLServer api((dir + "/server.crt").c_str(), (dir + "/server.key").c_str(), (dir + "/ca.crt").c_str());
  REQUIRE(api.is_valid());
  api.Get("/api/v1/namespaces", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("watch") == "1") {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return;
    }
    res.set_content(R"({"metadata":{"resourceVersion":"1"},"items":[)" + Ns("secure", "1", R"({"env":"prod"})") + "]}",
                    "application/json");
  });
  int port = api.bind_to_any_port("127.0.0.1");
  std::thread server([&] { api.listen_after_bind(); });

  auto b64 = [](const std::string& s) { return clausegate::Base64Encode(s); };
  std::string kubeconfig = dir + "/kubeconfig";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                            << "contexts:\n- name: test\n  context: {cluster: c, user: u}\n"
                            << "clusters:\n- name: c\n  cluster:\n    server: https://localhost:" << port << "\n"
                            << "    certificate-authority-data: " << b64(ReadAll(dir + "/ca.crt")) << "\n"
                            << "users:\n- name: u\n  user:\n"
                            << "    client-certificate-data: " << b64(ReadAll(dir + "/client.crt")) << "\n"
                            << "    client-key: client.key\n";  // a path, relative to the kubeconfig
  std::string why;
  auto config = KubeConfig::FromKubeconfig(kubeconfig, &why);
  REQUIRE(config);
  CHECK(config->host == "localhost");
  CHECK(config->https);
  std::ostringstream log;
  NamespaceCache cache(*config, log);
  cache.Start();
  CHECK(Eventually([&] { return cache.synced() && cache.Snapshot()->count("secure") == 1; }));
  cache.Stop();
  api.stop();
  server.join();
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("namespace cache: kubeconfig problems are explained", "[server]") {
  std::string why;
  CHECK_FALSE(KubeConfig::FromKubeconfig("/nonexistent/kubeconfig", &why));
  CHECK(why.find("cannot read kubeconfig") != std::string::npos);
  std::string path = "/tmp/clausegate-bad-kubeconfig-" + std::to_string(::getpid());
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: missing\n";
  CHECK_FALSE(KubeConfig::FromKubeconfig(path, &why));
  CHECK(why.find("no current context") != std::string::npos);
  std::remove(path.c_str());
}
