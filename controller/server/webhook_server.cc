#include "server/webhook_server.h"

#include <chrono>

#include <httplib.h>
#include <openssl/ssl.h>
#include <nlohmann/json.hpp>

#include "admission/review.h"

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

WebhookServer::WebhookServer(ServerConfig config, PolicyStore& store, Metrics& metrics, Clock clock, std::ostream& log)
    : config_(std::move(config)),
      store_(store),
      metrics_(metrics),
      clock_(std::move(clock)),
      log_(log),
      decoders_(json::DecodeLimits{config_.max_body_bytes, 128}) {}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Log(const std::string& line) {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_ << line << "\n" << std::flush;
}

void WebhookServer::HandleValidate(const std::string& content_type, const std::string& body, int* status,
                                   std::string* out, std::string* out_type) {
  auto start = std::chrono::steady_clock::now();
  *out_type = "text/plain";
  if (content_type.find("application/json") == std::string::npos) {
    metrics_.BadRequest("content_type");
    *status = 400;
    *out = "Content-Type must be application/json\n";
    return;
  }
  Snapshot snap = store_.Current();
  if (!snap.policies) {
    *status = 503;
    *out = "no policy set is loaded yet\n";
    return;
  }
  auto decoder = decoders_.Take();
  admission::ReviewOptions options;
  std::shared_ptr<const NamespaceLabels> labels;  // pinned for this request
  if (namespaces_) {
    labels = namespaces_->Snapshot();
    options.namespaces = labels.get();
  }
  options.now = clock_();
  options.deadline = start + std::chrono::milliseconds(config_.eval_deadline_ms);
  admission::ReviewResult r = admission::HandleReview(body, *snap.policies, *decoder, options);
  decoders_.Give(std::move(decoder));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.reviewed) {
    metrics_.BadRequest(r.bad_reason);
    Log(nlohmann::json{{"msg", "bad request"}, {"status", r.http_status}, {"reason", r.body}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
    *status = r.http_status;
    *out = r.body + "\n";
    return;
  }
  std::string verdict = r.decision.allowed ? (r.decision.warnings.empty() ? "allow" : "warn") : "deny";
  metrics_.Review(verdict, r.info.kind, r.info.operation, seconds);
  nlohmann::json rules = nlohmann::json::array(), clauses = nlohmann::json::array();
  for (const auto& rr : r.decision.results) {
    if (rr.outcome == engine::Outcome::kPass) continue;
    std::string v = OutcomeVerdict(rr);
    metrics_.Violation(rr.policy->name, v);
    rules.push_back(rr.policy->name + "/" + (rr.rule ? rr.rule->name : std::string("matchConditions")) + ":" + v);
    for (const auto& c : rr.rule ? rr.rule->controls : rr.policy->controls) clauses.push_back(c.id);
  }
  // One line per decision; never the object or the request body.
  if (config_.log_decisions) Log(nlohmann::json{{"msg", "decision"},
                     {"uid", r.info.uid},
                     {"kind", r.info.kind},
                     {"namespace", r.info.namespace_name},
                     {"name", r.info.name},
                     {"operation", r.info.operation},
                     {"user", r.info.username},
                     {"dryRun", r.info.dry_run},
                     {"verdict", verdict},
                     {"rules", rules},
                     {"controls", clauses},
                     {"generation", snap.generation},
                     {"micros", static_cast<int64_t>(seconds * 1e6)}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  *status = 200;
  *out = std::move(r.body);
  *out_type = "application/json";
}

bool WebhookServer::Start(std::string* error) {
  std::string client_ca = config_.client_ca;
  material_ = std::make_unique<TlsMaterial>(config_.tls_cert, config_.tls_key);
  if (!material_->Load(error)) return false;
  TlsMaterial* material = material_.get();
  tls_ = std::make_unique<httplib::SSLServer>([material, client_ca](SSL_CTX& ctx) {
    // TLS 1.2 at least, forward-secret AEAD ciphers only.
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(&ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    material->Attach(&ctx);  // the certificate of each handshake: re-read when the files change
    if (!client_ca.empty()) {
      if (SSL_CTX_load_verify_locations(&ctx, client_ca.c_str(), nullptr) != 1) return false;
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return true;
  });
  if (!tls_->is_valid()) {
    *error = "cannot set up TLS" + (client_ca.empty() ? std::string() : " with client CA " + client_ca);
    return false;
  }
  material_->StartWatching(config_.tls_reload_interval_ms, [this](bool ok, const std::string& why) {
    metrics_.TlsReload(ok);
    Log(ok ? std::string(R"({"msg":"TLS certificate reloaded"})")
           : nlohmann::json{{"msg", "TLS certificate reload failed; the previous one stays"}, {"error", why}}.dump());
  });
  int threads = std::max(1, config_.threads);
  tls_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  tls_->set_tcp_nodelay(true);  // Nagle adds tens of ms on keep-alive connections
  tls_->set_keep_alive_max_count(1000);
  tls_->set_payload_max_length(config_.max_body_bytes);
  tls_->Post("/validate", [this](const httplib::Request& req, httplib::Response& res) {
    int status = 500;
    std::string body, type;
    HandleValidate(req.get_header_value("Content-Type"), req.body, &status, &body, &type);
    res.status = status;
    res.set_content(body, type.c_str());
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content("use POST for /validate\n", "text/plain");
  };
  tls_->Get("/validate", not_allowed);
  tls_->Put("/validate", not_allowed);
  tls_->Delete("/validate", not_allowed);
  tls_->Patch("/validate", not_allowed);
  tls_->set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) metrics_.BadRequest("too_large");
    if (res.status == 404) metrics_.BadRequest("not_found");
    if (res.body.empty()) {
      res.set_content(res.status == 413 ? "request body too large\n" : res.status == 404 ? "not found\n" : "bad request\n",
                      "text/plain");
    }
  });
  port_ = config_.port == 0 ? tls_->bind_to_any_port(config_.address.c_str())
                            : (tls_->bind_to_port(config_.address.c_str(), config_.port) ? config_.port : -1);
  if (port_ < 0) {
    *error = "cannot listen on " + config_.address + ":" + std::to_string(config_.port);
    return false;
  }
  if (config_.health_port >= 0) {
    health_ = std::make_unique<httplib::Server>();
    health_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    health_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      Snapshot snap = store_.Current();
      std::string failure = store_.last_error();
      bool cache_ok = !namespaces_ || namespaces_->synced();
      std::string body = snap.policies ? "ready: policy set generation " + std::to_string(snap.generation) + "\n"
                                       : "not ready: no policy set loaded\n";
      if (!cache_ok) body = "not ready: the namespace cache has not synced with the API server\n" + body;
      if (shutting_down_.load()) body = "not ready: shutting down\n" + body;
      if (!failure.empty()) body += "last reload failed: " + failure + "\n";
      res.status = snap.policies && cache_ok && !shutting_down_.load() ? 200 : 503;
      res.set_content(body, "text/plain");
    });
    health_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_.Render(store_.Current().generation, store_.failures()), "text/plain; version=0.0.4");
    });
    health_port_ = config_.health_port == 0 ? health_->bind_to_any_port(config_.address.c_str())
                                            : (health_->bind_to_port(config_.address.c_str(), config_.health_port)
                                                   ? config_.health_port
                                                   : -1);
    if (health_port_ < 0) {
      *error = "cannot listen on " + config_.address + ":" + std::to_string(config_.health_port);
      return false;
    }
    health_thread_ = std::thread([this] { health_->listen_after_bind(); });
  }
  tls_thread_ = std::thread([this] { tls_->listen_after_bind(); });
  return true;
}

void WebhookServer::Stop() {
  if (material_) material_->StopWatching();
  if (tls_) tls_->stop();
  if (health_) health_->stop();
  if (tls_thread_.joinable()) tls_thread_.join();
  if (health_thread_.joinable()) health_thread_.join();
}

}  // namespace clausegate::server
