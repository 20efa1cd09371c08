#pragma once
// The HTTPS admission webhook and its plain-HTTP health port: routes of the
// event-driven HTTP server (server/http), the admission handler behind POST
// /validate. HTTP in, bytes to the admission handler, bytes out; nothing here
// knows CEL.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log_sink.h"
#include "common/time_util.h"
#include "json/document.h"
#include "server/http/http_server.h"
#include "server/metrics.h"
#include "server/namespace_cache.h"
#include "server/policy_store.h"
#include "server/tls_material.h"

namespace clausegate::server {

struct ServerConfig {
  std::string address = "0.0.0.0";
  int port = 8443;         // 0: an ephemeral port (tests)
  int health_port = 8080;  // 0: an ephemeral port; -1: none
  std::string tls_cert, tls_key, client_ca;
  int threads = 0;  // I/O threads; 0: one per core
  http::HttpLimits limits;  // bodies, headers, connections, deadlines
  int tls_reload_interval_ms = 1000;  // how often the certificate files are checked
  int eval_deadline_ms = 2000;        // well inside the API server's webhook timeout
  bool log_decisions = true;          // one line per decision (log level info and below)
  // On Stop: how long requests in progress may take to finish before they are cut.
  std::chrono::milliseconds drain_timeout{10000};
};

// Decoders keep scratch buffers; requests borrow one and give it back.
class DecoderPool {
 public:
  explicit DecoderPool(json::DecodeLimits limits) : limits_(limits) {}
  std::unique_ptr<json::Decoder> Take();
  void Give(std::unique_ptr<json::Decoder> d);

 private:
  json::DecodeLimits limits_;
  std::mutex mu_;
  std::vector<std::unique_ptr<json::Decoder>> free_;
};

class WebhookServer {
 public:
  using Clock = std::function<clausegate::Timestamp()>;
  WebhookServer(ServerConfig config, PolicyStore& store, Metrics& metrics, Clock clock, LogSink& log);
  ~WebhookServer();

  // Namespace labels from the cluster; without it, namespace selectors see only
  // the request. Set before Start.
  void set_namespaces(const NamespaceCache* cache) { namespaces_ = cache; }
  // More of /metrics, from parts beside the webhook (the background audit). Set
  // before Start; called from the server's threads.
  void set_more_metrics(std::function<std::string()> more) { more_metrics_ = std::move(more); }
  // What else /readyz waits for: the reason it is not ready, or "" when it is. Set
  // before Start; called from the server's threads.
  void set_readiness(std::function<std::string()> not_ready) { not_ready_ = std::move(not_ready); }

  // Binds both ports and starts serving; false with a reason.
  bool Start(std::string* error);
  int port() const { return port_; }
  int health_port() const { return health_port_; }
  // Reports not ready from now on while still serving, so that endpoints drop the Pod
  // before its port closes (see serve --shutdown-delay-seconds); every answer closes
  // its connection, so that clients reconnect to the replicas that stay.
  void BeginShutdown();
  // Stops accepting, lets in-flight requests finish, and returns when done.
  void Stop();

 private:
  http::HttpResponse Webhook(const http::HttpRequest& req);
  http::HttpResponse Health(const http::HttpRequest& req);
  http::HttpResponse Validate(const http::HttpRequest& req);
  bool ConfigureTls(SSL_CTX* ctx, std::string* error);
  void Log(const std::string& line);

  ServerConfig config_;
  PolicyStore& store_;
  Metrics& metrics_;
  Clock clock_;
  // Decisions and limits, one line each; the sink never blocks the I/O threads.
  LogSink& log_;
  DecoderPool decoders_;
  const NamespaceCache* namespaces_ = nullptr;
  std::function<std::string()> more_metrics_;
  std::function<std::string()> not_ready_;
  std::unique_ptr<TlsMaterial> material_;
  std::unique_ptr<http::HttpServer> http_;
  int port_ = 0, health_port_ = 0;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace clausegate::server
