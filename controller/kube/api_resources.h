#pragma once
// What the API server serves and how to read all of it: discovery of resources
// (so that custom resources work like built-in ones) and LIST page by page
// (limit + continue, as kubectl does), one page in memory at a time.

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <httplib.h>

#include "common/status.h"
#include "json/document.h"

namespace clausegate::kube {

struct ApiResource {
  std::string group;    // "" for the core group
  std::string version;  // the group's preferred version
  std::string resource; // plural, "deployments"
  std::string kind;     // "Deployment"
  bool namespaced = false;
  bool listable = false;
  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
};

// Every resource of every group at the group's preferred version; subresources
// ("pods/status") are left out. A group whose discovery fails (an aggregated API
// that is down) is left out too and named in `unavailable` ("metrics.k8s.io/v1beta1:
// HTTP 503"); failing to read the group list itself is an error.
Result<std::vector<ApiResource>> DiscoverResources(httplib::ClientImpl& client, std::vector<std::string>* unavailable);

struct ListOptions {
  std::string namespace_name;  // empty: every namespace (or a cluster-scoped resource)
  std::string label_selector;  // kubectl syntax, passed to the API server
  int limit = 500;             // objects per page, kubectl's default
  // A page larger than this is asked for again in smaller pages (halving the limit),
  // so that a namespace of large objects does not need a large buffer.
  size_t max_page_bytes = 16 * 1024 * 1024;
  // Only each object's metadata (PartialObjectMetadata): what is there, not what it says.
  bool metadata_only = false;
  // Set by another thread to stop between objects (a replica that stops leading).
  const std::atomic<bool>* cancel = nullptr;
};

struct ListStats {
  size_t pages = 0;
  size_t objects = 0;
  size_t largest_page_bytes = 0;
};

// Lists `resource` page by page and hands each object over as its own document,
// with the apiVersion and kind that list items leave out. A page expired before it
// was read (410 Gone) or any other failure ends the listing with a Status; the
// objects handed over until then stand. Cancelled: kCancelled.
Status ListObjects(httplib::ClientImpl& client, const ApiResource& resource, const ListOptions& options,
                   const std::function<void(json::DocumentPtr object)>& on_object, ListStats* stats = nullptr);

}  // namespace clausegate::kube
