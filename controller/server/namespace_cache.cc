#include "server/namespace_cache.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <filesystem>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include "cel/tagged.h"
#include "json/yaml.h"

namespace clausegate::server {
namespace {

// PEM text -> certificates / key (OpenSSL objects the caller frees).
std::vector<X509*> ReadCerts(const std::string& pem) {
  std::vector<X509*> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.push_back(c);
  BIO_free(bio);
  ERR_clear_error();
  return out;
}

EVP_PKEY* ReadKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

std::unique_ptr<httplib::ClientImpl> MakeClient(const KubeConfig& c) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (c.https) {
    std::unique_ptr<httplib::SSLClient> ssl;
    if (!c.client_cert_pem.empty() && !c.client_key_pem.empty()) {
      auto certs = ReadCerts(c.client_cert_pem);
      EVP_PKEY* key = ReadKey(c.client_key_pem);
      if (!certs.empty() && key) ssl = std::make_unique<httplib::SSLClient>(c.host, c.port, certs[0], key);
      for (X509* x : certs) X509_free(x);
      if (key) EVP_PKEY_free(key);
    }
    if (!ssl) ssl = std::make_unique<httplib::SSLClient>(c.host, c.port);
    if (!c.ca_pem.empty()) {
      X509_STORE* store = X509_STORE_new();
      for (X509* x : ReadCerts(c.ca_pem)) {
        X509_STORE_add_cert(store, x);
        X509_free(x);
      }
      ssl->set_ca_cert_store(store);  // the client owns it from here
    } else if (!c.ca_file.empty()) {
      ssl->set_ca_cert_path(c.ca_file.c_str());
    }
    ssl->enable_server_certificate_verification(!c.insecure);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(c.host, c.port);
  }
  if (!c.token.empty()) client->set_bearer_token_auth(c.token.c_str());
  client->set_connection_timeout(5);
  client->set_read_timeout(330);  // watches are long polls; the server ends them first
  return client;
}

std::map<std::string, std::string> LabelsOf(const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace

std::optional<KubeConfig> KubeConfig::FromServiceAccount(std::string* why) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    *why = "KUBERNETES_SERVICE_HOST/PORT are not set (not running in a Pod)";
    return std::nullopt;
  }
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount/";
  std::ifstream token_file(dir + "token");
  if (!token_file) {
    *why = "no service-account token at " + dir + "token";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << token_file.rdbuf();
  KubeConfig c;
  c.host = host;
  c.port = std::atoi(port);
  c.https = true;
  c.token = ss.str();
  while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
  c.ca_file = dir + "ca.crt";
  return c;
}

std::optional<KubeConfig> KubeConfig::FromKubeconfig(const std::string& path, std::string* why) {
  std::ifstream in(path);
  if (!in) {
    *why = "cannot read kubeconfig " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json::Decoder decoder;
  json::YamlStream stream = json::DecodeYamlStream(ss.str(), path, decoder);
  if (stream.error || stream.documents.empty()) {
    *why = stream.error ? stream.error->ToString() : "empty kubeconfig " + path;
    return std::nullopt;
  }
  auto doc = nlohmann::json::parse(simdjson::minify(stream.documents[0].doc->root()), nullptr, false);
  auto named = [&](const char* list, const std::string& name, const char* field) -> nlohmann::json {
    if (!doc.contains(list) || !doc[list].is_array()) return nullptr;
    for (const auto& e : doc[list]) {
      if (e.value("name", std::string()) == name && e.contains(field)) return e[field];
    }
    return nullptr;
  };
  std::string current = doc.value("current-context", std::string());
  nlohmann::json context = named("contexts", current, "context");
  if (!context.is_object()) {
    *why = "kubeconfig " + path + " has no current context";
    return std::nullopt;
  }
  nlohmann::json cluster = named("clusters", context.value("cluster", std::string()), "cluster");
  nlohmann::json user = named("users", context.value("user", std::string()), "user");
  if (!cluster.is_object() || !cluster.contains("server")) {
    *why = "kubeconfig " + path + ": the current context's cluster has no server";
    return std::nullopt;
  }
  // Relative file references are relative to the kubeconfig, as kubectl has them.
  std::filesystem::path base = std::filesystem::path(path).parent_path();
  auto file = [&](const std::string& p) {
    std::filesystem::path f(p);
    std::ifstream fin(f.is_absolute() ? f : base / f);
    std::stringstream s;
    s << fin.rdbuf();
    return s.str();
  };
  auto data = [](const nlohmann::json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_string() ? cel::Base64Decode(o[key].get<std::string>()).value_or("")
                                                                   : std::string();
  };
  KubeConfig c;
  std::string server = cluster["server"].get<std::string>();
  c.https = !server.starts_with("http://");
  if (auto p = server.find("://"); p != std::string::npos) server = server.substr(p + 3);
  if (auto slash = server.find('/'); slash != std::string::npos) server = server.substr(0, slash);
  auto colon = server.rfind(':');
  c.host = colon == std::string::npos ? server : server.substr(0, colon);
  c.port = colon == std::string::npos ? (c.https ? 443 : 80) : std::atoi(server.substr(colon + 1).c_str());
  c.ca_pem = data(cluster, "certificate-authority-data");
  if (c.ca_pem.empty() && cluster.contains("certificate-authority")) c.ca_pem = file(cluster["certificate-authority"]);
  c.insecure = cluster.value("insecure-skip-tls-verify", false);
  if (user.is_object()) {
    c.token = user.value("token", std::string());
    if (c.token.empty() && user.contains("tokenFile")) c.token = file(user["tokenFile"]);
    while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
    c.client_cert_pem = data(user, "client-certificate-data");
    if (c.client_cert_pem.empty() && user.contains("client-certificate")) c.client_cert_pem = file(user["client-certificate"]);
    c.client_key_pem = data(user, "client-key-data");
    if (c.client_key_pem.empty() && user.contains("client-key")) c.client_key_pem = file(user["client-key"]);
  }
  return c;
}

NamespaceCache::NamespaceCache(KubeConfig config, std::ostream& log)
    : config_(std::move(config)), log_(log), labels_(std::make_shared<const NamespaceLabels>()) {}

NamespaceCache::~NamespaceCache() { Stop(); }

std::shared_ptr<const NamespaceLabels> NamespaceCache::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return labels_;
}

void NamespaceCache::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NamespaceCache::Stop() {
  stop_.store(true);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool NamespaceCache::Wait(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_.load();
}

engine::NamespaceInfo NamespaceCache::Info(const nlohmann::json& object) {
  engine::NamespaceInfo info;
  info.labels = LabelsOf(object);
  // Decoded once here, read in place by every request's namespaceObject.
  auto doc = decoder_.Decode(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (doc.ok()) info.object = *doc;
  return info;
}

bool NamespaceCache::List(std::string* resource_version) {
  auto client = MakeClient(config_);
  auto res = client->Get("/api/v1/namespaces");
  if (!res || res->status != 200) {
    log_ << nlohmann::json{{"msg", "namespace list failed"}, {"status", res ? res->status : 0}}.dump() << "\n" << std::flush;
    return false;
  }
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("items") || !doc["items"].is_array()) return false;
  auto fresh = std::make_shared<NamespaceLabels>();
  for (const auto& item : doc["items"]) {
    std::string name = item.value("/metadata/name"_json_pointer, std::string());
    if (!name.empty()) (*fresh)[name] = Info(item);
  }
  *resource_version = doc.value("/metadata/resourceVersion"_json_pointer, std::string());
  {
    std::lock_guard<std::mutex> lock(mu_);
    labels_ = std::move(fresh);
  }
  ++relists_;
  synced_.store(true);
  return true;
}

void NamespaceCache::Apply(const std::string& type, const std::string& object_json, std::string* resource_version) {
  auto object = nlohmann::json::parse(object_json, nullptr, false);
  if (object.is_discarded()) return;
  std::string rv = object.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (!rv.empty()) *resource_version = rv;
  if (type == "BOOKMARK") return;
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  if (name.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<NamespaceLabels>(*labels_);
  if (type == "DELETED") {
    next->erase(name);
  } else {
    (*next)[name] = Info(object);
  }
  labels_ = std::move(next);
}

bool NamespaceCache::Watch(std::string* resource_version) {
  auto client = MakeClient(config_);
  std::string path = "/api/v1/namespaces?watch=1&allowWatchBookmarks=true&resourceVersion=" + *resource_version;
  std::string pending;
  bool gone = false;
  auto res = client->Get(path, [&](const char* data, size_t len) {
    if (stop_.load()) return false;
    pending.append(data, len);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_discarded() || !event.contains("type")) continue;
      std::string type = event["type"].is_string() ? event["type"].get<std::string>() : "";
      if (type == "ERROR") {
        // 410 Gone: the resourceVersion is too old; list again.
        gone = event.value("/object/code"_json_pointer, 0) == 410;
        return false;
      }
      if (event.contains("object")) Apply(type, event["object"].dump(), resource_version);
    }
    return pending.size() < (1 << 20);  // an event line is never this long
  });
  if (res && res->status == 410) gone = true;
  return !gone;
}

void NamespaceCache::Run() {
  int backoff_ms = 200;
  std::string rv;
  bool listed = false;
  while (!stop_.load()) {
    if (!listed) {
      listed = List(&rv);
      if (!listed) {
        if (!Wait(backoff_ms)) return;
        backoff_ms = std::min(backoff_ms * 2, 30000);
        continue;
      }
      backoff_ms = 200;
    }
    if (!Watch(&rv)) {
      log_ << R"({"msg":"namespace watch expired (410); listing again"})" << "\n" << std::flush;
      listed = false;
      continue;
    }
    // The watch ended (timeout or disconnect): resume from the last version.
    if (!Wait(backoff_ms)) return;
  }
}

}  // namespace clausegate::server
