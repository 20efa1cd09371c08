#pragma once
// The server's certificate chain and key, re-read when their files change
// (cert-manager or kubelet rotating a Secret) without restarting the server:
// every new TLS handshake picks up the current pair through a certificate
// callback, so connections in progress are not disturbed.

#include <openssl/ssl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace clausegate::server {

class TlsMaterial {
 public:
  TlsMaterial(std::string cert_path, std::string key_path) : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}
  ~TlsMaterial();

  // Loads the files; false with a reason (the current pair, if any, stays).
  bool Load(std::string* error);
  // Installs the handshake callback on a server context.
  void Attach(SSL_CTX* ctx);
  // Polls the files every `interval_ms` and reloads when they change.
  void StartWatching(int interval_ms, std::function<void(bool ok, const std::string& why)> on_reload);
  void StopWatching();

 private:
  struct Pair;
  static int OnCertificate(SSL* ssl, void* arg);
  std::string Fingerprint() const;  // mtimes and sizes of both files

  std::string cert_path_, key_path_;
  std::mutex mu_;
  std::shared_ptr<const Pair> current_;
  std::string loaded_fingerprint_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace clausegate::server
