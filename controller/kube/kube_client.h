#pragma once
// A client for the Kubernetes API server: where it is and how to authenticate
// (service account, kubeconfig), and the few calls clausegate makes outside the
// namespace cache.

#include <memory>
#include <optional>
#include <string>

#include <httplib.h>

#include "common/status.h"

namespace clausegate::kube {

// How to reach the API server. In a Pod: the service-account mount and
// KUBERNETES_SERVICE_HOST/PORT (see FromServiceAccount).
struct KubeConfig {
  std::string host;  // "10.0.0.1" or "127.0.0.1"
  int port = 443;
  bool https = true;
  std::string token;    // bearer token, may be empty
  std::string ca_file;  // CA bundle for https (a file) ...
  std::string ca_pem;   // ... or PEM text
  std::string client_cert_pem, client_key_pem;  // client-certificate authentication
  bool insecure = false;  // insecure-skip-tls-verify (development clusters only)
  static std::optional<KubeConfig> FromServiceAccount(std::string* why);
  // The current context of a kubeconfig file: server, CA, and a token or a client
  // certificate (paths or inline base64 data).
  static std::optional<KubeConfig> FromKubeconfig(const std::string& path, std::string* why);
};

// An HTTP(S) client for `config`, authenticated and verifying the server's certificate.
std::unique_ptr<httplib::ClientImpl> MakeKubeClient(const KubeConfig& config);

// What a failed call says: the Status message the API server sent, or why it could
// not be reached ("HTTP 403: ...", "cannot reach the API server: ...").
std::string ApiMessage(const httplib::Result& res);

// Server-side apply of `object` (JSON) at `path`, the object's own URL, as
// `field_manager`, taking over fields others set (force).
Status ApplyObject(httplib::ClientImpl& client, const std::string& path, const std::string& object,
                   const std::string& field_manager);
// DELETE of the object at `path`; one that does not exist is already deleted: Ok.
Status DeleteObject(httplib::ClientImpl& client, const std::string& path);

// Deletes a ValidatingWebhookConfiguration (chart uninstall: the webhook goes first).
// One that does not exist is already removed: Ok.
Status RemoveWebhookConfiguration(const KubeConfig& config, const std::string& name);

}  // namespace clausegate::kube
