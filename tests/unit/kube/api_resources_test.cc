// Discovery and paged lists against a fake API server of our own on loopback.

#include "kube/api_resources.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "kube/kube_client.h"

using namespace clausegate::kube;
using clausegate::Status;

namespace {

// A fake API server on a loopback port, stopped when the test ends.
struct FakeApi {
  httplib::Server server;
  int port = 0;
  std::thread thread;
  FakeApi() = default;
  void Start() {
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~FakeApi() {
    server.stop();
    if (thread.joinable()) thread.join();
  }
  std::unique_ptr<httplib::ClientImpl> Client() const {
    KubeConfig c;
    c.host = "127.0.0.1";
    c.port = port;
    c.https = false;
    return MakeKubeClient(c);
  }
};

std::string ConfigMap(int i, size_t pad = 0) {
  return R"({"metadata":{"name":"cm-)" + std::to_string(i) + R"(","namespace":"ns"},"data":{"k":")" +
         std::string(pad, 'x') + R"("}})";
}

}  // namespace

TEST_CASE("discovery: preferred versions, no subresources, a group that is down is named", "[kube]") {
  FakeApi api;
  api.server.Get("/api/v1", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"resources":[
      {"name":"pods","kind":"Pod","namespaced":true,"verbs":["get","list","watch"]},
      {"name":"pods/status","kind":"Pod","namespaced":true,"verbs":["get"]},
      {"name":"namespaces","kind":"Namespace","namespaced":false,"verbs":["list"]},
      {"name":"bindings","kind":"Binding","namespaced":true,"verbs":["create"]}]})",
                    "application/json");
  });
  api.server.Get("/apis", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"groups":[
      {"name":"apps","preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
      {"name":"metrics.k8s.io","preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}]})",
                    "application/json");
  });
  api.server.Get("/apis/apps/v1", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"resources":[{"name":"deployments","kind":"Deployment","namespaced":true,"verbs":["list"]},
      {"name":"deployments/scale","kind":"Scale","namespaced":true,"verbs":["get"]}]})",
                    "application/json");
  });
  api.server.Get("/apis/metrics.k8s.io/v1beta1", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"kind":"Status","message":"service unavailable"})", "application/json");
  });
  api.Start();
  auto client = api.Client();
  std::vector<std::string> unavailable;
  auto found = DiscoverResources(*client, &unavailable);
  REQUIRE(found.ok());
  std::vector<std::string> names;
  for (const auto& r : *found) names.push_back(r.GroupVersion() + " " + r.resource + (r.listable ? " list" : ""));
  CHECK(names == std::vector<std::string>{"v1 pods list", "v1 namespaces list", "v1 bindings", "apps/v1 deployments list"});
  CHECK((*found)[0].namespaced);
  CHECK_FALSE((*found)[1].namespaced);
  REQUIRE(unavailable.size() == 1);
  CHECK(unavailable[0].find("metrics.k8s.io/v1beta1") != std::string::npos);
  CHECK(unavailable[0].find("503") != std::string::npos);
}

TEST_CASE("discovery: an API server that cannot be reached is an error", "[kube]") {
  KubeConfig c;
  c.host = "127.0.0.1";
  c.port = 1;  // nothing listens there
  c.https = false;
  auto client = MakeKubeClient(c);
  client->set_connection_timeout(2);
  auto found = DiscoverResources(*client, nullptr);
  CHECK_FALSE(found.ok());
}

TEST_CASE("list: pages by limit and continue, apiVersion and kind set, selector passed on", "[kube]") {
  FakeApi api;
  std::vector<std::string> asked;
  api.server.Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
    asked.push_back(req.get_param_value("limit") + "|" + req.get_param_value("continue") + "|" +
                    req.get_param_value("labelSelector"));
    int from = req.has_param("continue") ? std::stoi(req.get_param_value("continue")) : 0;
    int limit = std::stoi(req.get_param_value("limit"));
    std::string items;
    for (int i = from; i < std::min(from + limit, 7); ++i) items += (items.empty() ? "" : ",") + ConfigMap(i);
    std::string next = from + limit < 7 ? std::to_string(from + limit) : "";
    res.set_content(R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"continue":")" + next + R"("},"items":[)" +
                        items + "]}",
                    "application/json");
  });
  api.Start();
  auto client = api.Client();
  ApiResource cm{"", "v1", "configmaps", "ConfigMap", true, true};
  ListOptions options;
  options.namespace_name = "ns";
  options.label_selector = "app in (a,b),!skip";
  options.limit = 3;
  std::vector<std::string> seen;
  ListStats stats;
  Status s = ListObjects(*client, cm, options, [&](clausegate::json::DocumentPtr d) {
    std::string_view kind, api_version, name;
    REQUIRE(d->root()["kind"].get(kind) == simdjson::SUCCESS);
    REQUIRE(d->root()["apiVersion"].get(api_version) == simdjson::SUCCESS);
    REQUIRE(d->root()["metadata"]["name"].get(name) == simdjson::SUCCESS);
    seen.push_back(std::string(api_version) + "/" + std::string(kind) + "/" + std::string(name));
  }, &stats);
  REQUIRE(s.ok());
  CHECK(seen.size() == 7);
  CHECK(seen.front() == "v1/ConfigMap/cm-0");
  CHECK(seen.back() == "v1/ConfigMap/cm-6");
  CHECK(stats.pages == 3);
  CHECK(asked == std::vector<std::string>{"3||app in (a,b),!skip", "3|3|app in (a,b),!skip", "3|6|app in (a,b),!skip"});
}

TEST_CASE("list: a custom resource's own apiVersion and kind win", "[kube]") {
  FakeApi api;
  api.server.Get("/apis/example.com/v1/widgets", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"items":[{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}],"metadata":{}})",
                    "application/json");
  });
  api.Start();
  auto client = api.Client();
  ApiResource w{"example.com", "v1", "widgets", "Widget", false, true};
  int n = 0;
  Status s = ListObjects(*client, w, {}, [&](clausegate::json::DocumentPtr d) {
    std::string_view kind;
    REQUIRE(d->root()["kind"].get(kind) == simdjson::SUCCESS);
    CHECK(kind == "Widget");
    ++n;
  });
  CHECK(s.ok());
  CHECK(n == 1);
}

TEST_CASE("list: a page over the byte bound is asked for again in smaller pages", "[kube]") {
  FakeApi api;
  std::vector<int> limits;
  api.server.Get("/api/v1/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
    int from = req.has_param("continue") ? std::stoi(req.get_param_value("continue")) : 0;
    int limit = std::stoi(req.get_param_value("limit"));
    limits.push_back(limit);
    std::string items;
    for (int i = from; i < std::min(from + limit, 8); ++i) items += (items.empty() ? "" : ",") + ConfigMap(i, 100000);
    std::string next = from + limit < 8 ? std::to_string(from + limit) : "";
    res.set_content(R"({"metadata":{"continue":")" + next + R"("},"items":[)" + items + "]}", "application/json");
  });
  api.Start();
  auto client = api.Client();
  ApiResource cm{"", "v1", "configmaps", "ConfigMap", true, true};
  ListOptions options;
  options.limit = 8;
  options.max_page_bytes = 250000;  // two of these objects fit, three do not
  ListStats stats;
  int n = 0;
  Status s = ListObjects(*client, cm, options, [&](clausegate::json::DocumentPtr) { ++n; }, &stats);
  REQUIRE(s.ok());
  CHECK(n == 8);
  CHECK(stats.largest_page_bytes <= 250000);
  CHECK(limits.front() == 8);
  CHECK(std::find(limits.begin(), limits.end(), 2) != limits.end());

  options.max_page_bytes = 50000;  // not even one object fits
  n = 0;
  s = ListObjects(*client, cm, options, [&](clausegate::json::DocumentPtr) { ++n; });
  CHECK(s.code() == clausegate::StatusCode::kResourceExhausted);
  CHECK(n == 0);
}

TEST_CASE("list: an expired continue token ends the listing with a clear error", "[kube]") {
  FakeApi api;
  api.server.Get("/api/v1/pods", [&](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("continue")) {
      res.set_content(R"({"metadata":{"continue":"tok"},"items":[{"metadata":{"name":"a"}}]})", "application/json");
      return;
    }
    res.status = 410;
    res.set_content(R"({"kind":"Status","message":"The provided continue parameter is too old"})", "application/json");
  });
  api.Start();
  auto client = api.Client();
  ApiResource pods{"", "v1", "pods", "Pod", true, true};
  int n = 0;
  Status s = ListObjects(*client, pods, {}, [&](clausegate::json::DocumentPtr) { ++n; });
  CHECK(n == 1);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("410") != std::string::npos);
  CHECK(s.message().find("too old") != std::string::npos);
}
