#include "server/tls_material.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <chrono>
#include <functional>

namespace clausegate::server {

struct TlsMaterial::Pair {
  X509* leaf = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EVP_PKEY* key = nullptr;
  ~Pair() {
    if (leaf) X509_free(leaf);
    if (chain) sk_X509_pop_free(chain, X509_free);
    if (key) EVP_PKEY_free(key);
  }
};

TlsMaterial::~TlsMaterial() { StopWatching(); }

std::string TlsMaterial::Fingerprint() const {
  std::string out;
  for (const std::string* p : {&cert_path_, &key_path_}) {
    struct stat st {};
    if (stat(p->c_str(), &st) != 0) return "";
    out += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_ino) + ";";
  }
  return out;
}

bool TlsMaterial::Load(std::string* error) {
  std::string fingerprint = Fingerprint();
  auto pair = std::make_shared<Pair>();
  BIO* cert_bio = BIO_new_file(cert_path_.c_str(), "r");
  if (!cert_bio) {
    *error = "cannot read certificate " + cert_path_;
    return false;
  }
  pair->leaf = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  pair->chain = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr)) sk_X509_push(pair->chain, extra);
  BIO_free(cert_bio);
  ERR_clear_error();  // the chain loop ends on an expected "no start line"
  BIO* key_bio = BIO_new_file(key_path_.c_str(), "r");
  if (key_bio) {
    pair->key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    BIO_free(key_bio);
  }
  if (!pair->leaf || !pair->key) {
    *error = !pair->leaf ? "no certificate in " + cert_path_ : "no private key in " + key_path_;
    return false;
  }
  if (X509_check_private_key(pair->leaf, pair->key) != 1) {
    ERR_clear_error();
    *error = "the key in " + key_path_ + " does not match the certificate in " + cert_path_;
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(pair);
  loaded_fingerprint_ = fingerprint;
  return true;
}

int TlsMaterial::OnCertificate(SSL* ssl, void* arg) {
  auto* self = static_cast<TlsMaterial*>(arg);
  std::shared_ptr<const Pair> pair;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    pair = self->current_;
  }
  if (!pair) return 0;
  if (SSL_use_certificate(ssl, pair->leaf) != 1 || SSL_use_PrivateKey(ssl, pair->key) != 1) return 0;
  if (sk_X509_num(pair->chain) > 0 && SSL_set1_chain(ssl, pair->chain) != 1) return 0;
  return 1;
}

void TlsMaterial::Attach(SSL_CTX* ctx) { SSL_CTX_set_cert_cb(ctx, &TlsMaterial::OnCertificate, this); }

void TlsMaterial::StartWatching(int interval_ms, std::function<void(bool, const std::string&)> on_reload) {
  watcher_ = std::thread([this, interval_ms, on_reload] {
    while (!stop_.load()) {
      for (int waited = 0; waited < interval_ms && !stop_.load(); waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      std::string fp = Fingerprint();
      std::string loaded;
      {
        std::lock_guard<std::mutex> lock(mu_);
        loaded = loaded_fingerprint_;
      }
      if (fp.empty() || fp == loaded) continue;
      std::string error;
      bool ok = Load(&error);
      if (!ok) {
        std::lock_guard<std::mutex> lock(mu_);
        loaded_fingerprint_ = fp;  // do not retry a broken pair until it changes again
      }
      on_reload(ok, error);
    }
  });
}

void TlsMaterial::StopWatching() {
  stop_.store(true);
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace clausegate::server
