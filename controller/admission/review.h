#pragma once
// admission.k8s.io/v1 AdmissionReview in and out, as a plain function:
//   body -> decode (simdjson) -> engine input -> PolicySet -> decision -> response.
// Nothing here knows HTTP servers; the server passes bytes and gets bytes back.

#include <optional>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "json/document.h"

namespace clausegate::admission {

struct ReviewResult {
  int http_status = 200;    // 400 for a bad request (413 for an oversized one)
  std::string body;         // the AdmissionReview response, or a one-line reason
  std::string bad_reason;   // a short label for metrics when the request was bad
  // For the decision log: never the object itself.
  engine::RequestInfo info;
  engine::Decision decision;
  bool reviewed = false;
};

struct ReviewOptions {
  clausegate::Timestamp now;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Namespaces when known (from the cluster); null: unknown.
  const engine::NamespaceIndex* namespaces = nullptr;
};

// The facts of an AdmissionRequest (kind, resource, operation, userInfo, ...) as
// the webhook reads them; `clausegate check` replays captured reviews through
// this same function so that both judge a request alike.
engine::RequestInfo RequestInfoOf(const cel::Value& request);

// What makes an AdmissionRequest unfit to judge (a field of the wrong JSON type, an
// operation that is missing or unknown, no object where the operation needs one,
// a uid over kMaxUidLength), or nullopt. Such a request is a bad request, never a
// verdict.
std::optional<std::string> RequestProblem(const cel::Value& request);

// Judges one AdmissionReview body. `decoder` is per thread.
ReviewResult HandleReview(std::string_view body, const engine::PolicySet& policies, json::Decoder& decoder,
                          const ReviewOptions& options);

// Response limits the API server imposes.
inline constexpr size_t kMaxWarningLength = 256;
inline constexpr size_t kMaxWarningsTotal = 4096;
inline constexpr size_t kMaxAuditValueLength = 1024;
// A uid the API server makes is 36 bytes; anything far longer is not from it.
inline constexpr size_t kMaxUidLength = 128;

}  // namespace clausegate::admission
