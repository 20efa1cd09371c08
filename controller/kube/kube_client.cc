#include "kube/kube_client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "json/yaml.h"

namespace clausegate::kube {
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

}  // namespace

std::unique_ptr<httplib::ClientImpl> MakeKubeClient(const KubeConfig& c) {
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
  if (!stream.ok() || stream.documents.empty()) {
    *why = !stream.ok() ? stream.errors.front().ToString() : "empty kubeconfig " + path;
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
    return o.is_object() && o.contains(key) && o[key].is_string() ? clausegate::Base64Decode(o[key].get<std::string>()).value_or("")
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


std::string ApiMessage(const httplib::Result& res) {
  if (!res) return "cannot reach the API server: " + httplib::to_string(res.error());
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                            ? body["message"].get<std::string>()
                            : res->body.substr(0, 200);
  return "HTTP " + std::to_string(res->status) + ": " + message;
}

namespace {
Status CallFailed(const httplib::Result& res) {
  if (!res) return Status(StatusCode::kUnavailable, ApiMessage(res));
  if (res->status == 404) return NotFound(ApiMessage(res));
  return Internal(ApiMessage(res));
}
}  // namespace

Status ApplyObject(httplib::ClientImpl& client, const std::string& path, const std::string& object,
                   const std::string& field_manager) {
  auto res = client.Patch(path + "?fieldManager=" + field_manager + "&force=true", object,
                          "application/apply-patch+yaml");  // JSON is YAML
  if (res && (res->status == 200 || res->status == 201)) return Status::Ok();
  return CallFailed(res);
}

Status DeleteObject(httplib::ClientImpl& client, const std::string& path) {
  auto res = client.Delete(path);
  if (res && (res->status == 200 || res->status == 202 || res->status == 404)) return Status::Ok();
  return CallFailed(res);
}

Status RemoveWebhookConfiguration(const KubeConfig& config, const std::string& name) {
  auto client = MakeKubeClient(config);
  client->set_read_timeout(30);
  return DeleteObject(*client, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + name);
}

}  // namespace clausegate::kube
