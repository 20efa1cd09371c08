// ListWatch against a fake API server on loopback: a LIST in pages, watch events,
// a resource that does not exist (404), and Stop() during a watch.

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "kube/list_watch.h"

using namespace clausegate::kube;

namespace {

template <typename P>
bool Eventually(P pred) {
  for (int i = 0; i < 250; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string Item(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","resourceVersion":")" + rv + R"("}})";
}

}  // namespace

TEST_CASE("list-watch: a paged LIST, then the watch's events from its version", "[kube]") {
  httplib::Server api;
  std::mutex mu;
  std::vector<std::string> asked;
  api.Get("/apis/x.io/v1/things", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      asked.push_back(req.target);
    }
    if (req.get_param_value("watch") == "1") {
      res.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
        std::string events = R"({"type":"ADDED","object":)" + Item("c", "31") + "}\n" +
                             R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"32"}}})" + "\n" +
                             R"({"type":"DELETED","object":)" + Item("a", "33") + "}\n";
        sink.write(events.data(), events.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sink.done();
        return true;
      });
      return;
    }
    bool second = req.get_param_value("continue") == "page2";
    res.set_content(second ? R"({"metadata":{"resourceVersion":"30"},"items":[)" + Item("b", "29") + "]}"
                           : R"({"metadata":{"resourceVersion":"30","continue":"page2"},"items":[)" + Item("a", "28") + "]}",
                    "application/json");
  });
  int port = api.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { api.listen_after_bind(); });
  KubeConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.https = false;

  std::mutex seen_mu;
  std::vector<std::string> seen;
  std::ostringstream log;
  ListWatch watch(config, {.path = "/apis/x.io/v1/things", .what = "thing", .page_size = 1},
                  {.listed =
                       [&](std::vector<nlohmann::json> items) {
                         std::lock_guard<std::mutex> lock(seen_mu);
                         std::string names;
                         for (const auto& i : items) names += i["metadata"]["name"].get<std::string>();
                         seen.push_back("LIST " + names);
                       },
                   .changed =
                       [&](const std::string& type, const nlohmann::json& object) {
                         std::lock_guard<std::mutex> lock(seen_mu);
                         seen.push_back(type + " " + object["metadata"]["name"].get<std::string>());
                       },
                   .list_failed = nullptr},
                  log);
  watch.Start();
  REQUIRE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return asked.size() >= 4;  // two pages, a watch, and the watch resumed
  }));
  watch.Stop();
  api.stop();
  serving.join();
  CHECK(watch.synced());
  std::lock_guard<std::mutex> lock(seen_mu);
  REQUIRE(seen.size() >= 3);
  CHECK(seen[0] == "LIST ab");
  CHECK(seen[1] == "ADDED c");
  CHECK(seen[2] == "DELETED a");
  CHECK(asked[0] == "/apis/x.io/v1/things?limit=1");
  CHECK(asked[1] == "/apis/x.io/v1/things?limit=1&continue=page2");
  CHECK(asked[2].find("watch=1&allowWatchBookmarks=true&timeoutSeconds=290&resourceVersion=30") != std::string::npos);
  // Resumed from the last version the watch saw (the bookmark's, then the deletion's).
  CHECK(asked[3].find("resourceVersion=33") != std::string::npos);
}

TEST_CASE("list-watch: a resource that does not exist is reported and retried", "[kube]") {
  httplib::Server api;
  std::atomic<int> lists{0};
  api.Get("/apis/x.io/v1/things", [&](const httplib::Request&, httplib::Response& res) {
    ++lists;
    res.status = 404;
  });
  int port = api.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { api.listen_after_bind(); });
  KubeConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.https = false;
  std::atomic<int> failed_404{0};
  std::ostringstream log;
  ListWatch watch(config, {.path = "/apis/x.io/v1/things", .what = "thing"},
                  {.listed = [](std::vector<nlohmann::json>) {},
                   .changed = [](const std::string&, const nlohmann::json&) {},
                   .list_failed = [&](int status) { failed_404 += status == 404; }},
                  log);
  watch.Start();
  CHECK(Eventually([&] { return failed_404.load() >= 2; }));
  watch.Stop();
  api.stop();
  serving.join();
  CHECK_FALSE(watch.synced());
  CHECK(log.str().find("\"thing list failed\"") != std::string::npos);
}
