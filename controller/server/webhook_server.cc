#include "server/webhook_server.h"

#include <algorithm>
#include <chrono>

#include <openssl/ssl.h>
#include <nlohmann/json.hpp>

#include "admission/review.h"
#include "json/json_line.h"

namespace clausegate::server {

std::unique_ptr<json::Decoder> DecoderPool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.empty()) return std::make_unique<json::Decoder>(limits_);
  auto d = std::move(free_.back());
  free_.pop_back();
  return d;
}

void DecoderPool::Give(std::unique_ptr<json::Decoder> d) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(d));
}

namespace {

std::string OutcomeVerdict(const engine::RuleResult& r) {
  switch (r.outcome) {
    case engine::Outcome::kPass: return "pass";
    case engine::Outcome::kExcepted: return "excepted";
    case engine::Outcome::kIgnored: return "ignored";
    case engine::Outcome::kError: return "error";
    case engine::Outcome::kFail:
      return r.action == policy::Action::kDeny ? "deny" : r.action == policy::Action::kWarn ? "warn" : "audit";
  }
  return "?";
}

}  // namespace

WebhookServer::WebhookServer(ServerConfig config, PolicyStore& store, Metrics& metrics, Clock clock, LogSink& log)
    : config_(std::move(config)),
      store_(store),
      metrics_(metrics),
      clock_(std::move(clock)),
      log_(log),
      decoders_(json::DecodeLimits{config_.limits.max_body_bytes, 128}) {}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Log(const std::string& line) { log_.Write(line); }

namespace {

// The path of a request target, without its query.
std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

http::HttpResponse Text(int status, std::string body) { return {status, "text/plain", std::move(body), {}}; }

// "application/json", with parameters ("; charset=utf-8") allowed and nothing else.
bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  if (media.size() != 16) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != "application/json"[i]) return false;
  }
  return true;
}

}  // namespace

http::HttpResponse WebhookServer::Webhook(const http::HttpRequest& req) {
  if (PathOf(req.target) != "/validate") {
    metrics_.BadRequest("not_found");
    return Text(404, "not found: the webhook serves POST /validate\n");
  }
  if (req.method != "POST") {
    metrics_.BadRequest("method");
    http::HttpResponse r = Text(405, "use POST for /validate\n");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  return Validate(req);
}

http::HttpResponse WebhookServer::Validate(const http::HttpRequest& req) {
  auto start = std::chrono::steady_clock::now();
  if (!IsJson(req.content_type)) {
    metrics_.BadRequest("content_type");
    return Text(400, "Content-Type must be application/json\n");
  }
  Snapshot snap = store_.Current();
  if (!snap.policies) return Text(503, "no policy set is loaded yet\n");
  auto decoder = decoders_.Take();
  admission::ReviewOptions options;
  std::shared_ptr<const NamespaceLabels> labels;  // pinned for this request
  if (namespaces_) {
    labels = namespaces_->Snapshot();
    options.namespaces = labels.get();
  }
  options.now = clock_();
  options.deadline = start + std::chrono::milliseconds(config_.eval_deadline_ms);
  admission::ReviewResult r = admission::HandleReview(req.body, *snap.policies, *decoder, options);
  decoders_.Give(std::move(decoder));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.reviewed) {
    metrics_.BadRequest(r.bad_reason);
    Log(json::JsonLine().String("msg", "bad request").Int("status", r.http_status).String("reason", r.body).Take());
    return Text(r.http_status, r.body + "\n");
  }
  std::string verdict = r.decision.allowed ? (r.decision.warnings.empty() ? "allow" : "warn") : "deny";
  metrics_.Review(verdict, r.info.kind, r.info.operation, seconds);
  std::vector<std::string> rules, clauses;
  for (const auto& rr : r.decision.results) {
    if (rr.outcome == engine::Outcome::kPass) continue;
    std::string v = OutcomeVerdict(rr);
    metrics_.Violation(rr.policy->name, v);
    if (!config_.log_decisions) continue;
    rules.push_back(rr.policy->name + "/" + (rr.rule ? rr.rule->name : std::string("matchConditions")) + ":" + v);
    for (const auto& c : rr.rule ? rr.rule->controls : rr.policy->controls) {
      if (std::find(clauses.begin(), clauses.end(), c.id) == clauses.end()) clauses.push_back(c.id);  // each clause once
    }
  }
  // One line per decision; never the object or the request body. Names from the
  // request are bounded (Kubernetes names are at most 253 bytes).
  auto bounded = [](const std::string& s) { return s.size() <= 253 ? s : s.substr(0, 253) + "..."; };
  if (config_.log_decisions) {
    Log(json::JsonLine()
            .String("msg", "decision")
            .String("uid", r.info.uid)
            .String("kind", bounded(r.info.kind))
            .String("namespace", bounded(r.info.namespace_name))
            .String("name", bounded(r.info.name))
            .String("operation", r.info.operation)
            .String("user", bounded(r.info.username))
            .Bool("dryRun", r.info.dry_run)
            .String("verdict", verdict)
            .Strings("rules", rules)
            .Strings("controls", clauses)
            .Int("generation", static_cast<int64_t>(snap.generation))
            .Int("micros", static_cast<int64_t>(seconds * 1e6))
            .Take());
  }
  return {200, "application/json", std::move(r.body), {}};
}

http::HttpResponse WebhookServer::Health(const http::HttpRequest& req) {
  std::string_view path = PathOf(req.target);
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") return Text(404, "not found\n");
  if (req.method != "GET" && req.method != "HEAD") {
    http::HttpResponse r = Text(405, "use GET\n");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (path == "/healthz") return Text(200, "ok\n");
  if (path == "/metrics") {
    std::string text =
        metrics_.Render(store_.Current().generation, store_.failures(), http_ ? http_->open_connections() : 0);
    if (more_metrics_) text += more_metrics_();
    return {200, "text/plain; version=0.0.4", std::move(text), {}};
  }
  Snapshot snap = store_.Current();
  std::string failure = store_.last_error();
  bool cache_ok = !namespaces_ || namespaces_->synced();
  std::string body = snap.policies ? "ready: policy set generation " + std::to_string(snap.generation) + "\n"
                                   : "not ready: no policy set loaded\n";
  if (!cache_ok) body = "not ready: the namespace cache has not synced with the API server\n" + body;
  std::string also = not_ready_ ? not_ready_() : "";
  if (!also.empty()) body = "not ready: " + also + "\n" + body;
  if (shutting_down_.load()) body = "not ready: shutting down\n" + body;
  if (!failure.empty()) body += "last reload failed: " + failure + "\n";
  return Text(snap.policies && cache_ok && also.empty() && !shutting_down_.load() ? 200 : 503, std::move(body));
}

bool WebhookServer::ConfigureTls(SSL_CTX* ctx, std::string* error) {
  // TLS 1.2 at least, forward-secret AEAD ciphers only.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle connection gives its record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  material_->Attach(ctx);  // the certificate of each handshake: re-read when the files change
  if (!config_.client_ca.empty()) {
    const char* ca = config_.client_ca.c_str();
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca);
    if (!names || SSL_CTX_load_verify_locations(ctx, ca, nullptr) != 1) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      *error = "cannot read the client CA " + config_.client_ca;
      return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // sent in the CertificateRequest; the context owns them
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

bool WebhookServer::Start(std::string* error) {
  material_ = std::make_unique<TlsMaterial>(config_.tls_cert, config_.tls_key);
  if (!material_->Load(error)) return false;
  int threads = config_.threads > 0 ? config_.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::HttpEvents events;
  events.limit = [this](std::string_view reason) { metrics_.Limit(reason); };
  events.log = [this](const std::string& line) { Log(line); };
  http_ = std::make_unique<http::HttpServer>(config_.limits, threads, std::move(events));
  http::Listener webhook;
  webhook.address = config_.address;
  webhook.port = config_.port;
  webhook.configure_tls = [this](SSL_CTX* ctx, std::string* why) { return ConfigureTls(ctx, why); };
  webhook.handler = [this](const http::HttpRequest& req) { return Webhook(req); };
  port_ = http_->Listen(std::move(webhook), error);
  if (port_ < 0) return false;
  if (config_.health_port >= 0) {
    http::Listener health;
    health.address = config_.address;
    health.port = config_.health_port;
    health.handler = [this](const http::HttpRequest& req) { return Health(req); };
    health_port_ = http_->Listen(std::move(health), error);
    if (health_port_ < 0) return false;
  }
  material_->StartWatching(config_.tls_reload_interval_ms, [this](bool ok, const std::string& why) {
    metrics_.TlsReload(ok);
    Log(ok ? std::string(R"({"msg":"TLS certificate reloaded"})")
           : nlohmann::json{{"msg", "TLS certificate reload failed; the previous one stays"}, {"error", why}}.dump());
  });
  http_->Start();
  return true;
}

void WebhookServer::BeginShutdown() {
  shutting_down_.store(true);
  if (http_) http_->EndKeepAlive();
}

void WebhookServer::Stop() {
  if (material_) material_->StopWatching();
  if (http_) http_->Shutdown(config_.drain_timeout);
}

}  // namespace clausegate::server
