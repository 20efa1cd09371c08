#include "kube/api_resources.h"

#include "kube/kube_client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <simdjson.h>

namespace clausegate::kube {
namespace {

// Discovery documents are small; a bound keeps a broken server from filling memory.
constexpr size_t kMaxDiscoveryBytes = 8 * 1024 * 1024;

std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// GET with a bound on the body; false (with a message) when it was not a 200.
bool GetJson(httplib::ClientImpl& client, const std::string& path, nlohmann::json* out, std::string* error) {
  std::string body;
  bool too_large = false;
  auto res = client.Get(path, [&](const char* data, size_t len) {
    if (body.size() + len > kMaxDiscoveryBytes) {
      too_large = true;
      return false;
    }
    body.append(data, len);
    return true;
  });
  if (too_large) {
    *error = path + ": the discovery document is larger than " + std::to_string(kMaxDiscoveryBytes) + " bytes";
    return false;
  }
  if (!res || res->status != 200) {
    if (res) res->body = body;
    *error = path + ": " + ApiMessage(res);
    return false;
  }
  *out = nlohmann::json::parse(body, nullptr, false);
  if (!out->is_object()) {
    *error = path + ": not a JSON object";
    return false;
  }
  return true;
}

void AddResources(const nlohmann::json& list, const std::string& group, const std::string& version,
                  std::vector<ApiResource>* out) {
  if (!list.contains("resources") || !list["resources"].is_array()) return;
  for (const auto& r : list["resources"]) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string()) continue;
    std::string name = r["name"].get<std::string>();
    if (name.find('/') != std::string::npos) continue;  // a subresource
    ApiResource a;
    a.group = group;
    a.version = version;
    a.resource = name;
    a.kind = r.value("kind", "");
    a.namespaced = r.value("namespaced", false);
    if (r.contains("verbs") && r["verbs"].is_array()) {
      for (const auto& v : r["verbs"]) a.listable = a.listable || (v.is_string() && v.get<std::string>() == "list");
    }
    out->push_back(std::move(a));
  }
}

}  // namespace

Result<std::vector<ApiResource>> DiscoverResources(httplib::ClientImpl& client, std::vector<std::string>* unavailable) {
  std::vector<ApiResource> out;
  nlohmann::json doc;
  std::string error;
  if (!GetJson(client, "/api/v1", &doc, &error)) return Status(StatusCode::kUnavailable, error);
  AddResources(doc, "", "v1", &out);
  if (!GetJson(client, "/apis", &doc, &error)) return Status(StatusCode::kUnavailable, error);
  if (!doc.contains("groups") || !doc["groups"].is_array()) return Status(StatusCode::kUnavailable, "/apis: no groups");
  for (const auto& g : doc["groups"]) {
    if (!g.is_object() || !g.contains("preferredVersion") || !g["preferredVersion"].is_object()) continue;
    std::string name = g.value("name", "");
    std::string gv = g["preferredVersion"].value("groupVersion", "");
    std::string version = g["preferredVersion"].value("version", "");
    if (name.empty() || gv.empty() || version.empty()) continue;
    nlohmann::json list;
    if (!GetJson(client, "/apis/" + gv, &list, &error)) {
      if (unavailable) unavailable->push_back(error);
      continue;
    }
    AddResources(list, name, version, &out);
  }
  return out;
}

Status ListObjects(httplib::ClientImpl& client, const ApiResource& resource, const ListOptions& options,
                   const std::function<void(json::DocumentPtr object)>& on_object, ListStats* stats) {
  ListStats local;
  ListStats& st = stats ? *stats : local;
  std::string base = resource.group.empty() ? "/api/v1" : "/apis/" + resource.GroupVersion();
  if (resource.namespaced && !options.namespace_name.empty()) base += "/namespaces/" + QueryEscape(options.namespace_name);
  base += "/" + resource.resource;
  // Pages are parsed whole (they hold up to `limit` objects); each object is then
  // decoded on its own, with the apiVersion and kind a list leaves out put first,
  // so that one the object carries itself (custom resources) wins.
  json::Decoder page_decoder(json::DecodeLimits{options.max_page_bytes + 1024, 128});
  json::Decoder object_decoder;
  std::string prefix = "{\"apiVersion\":" + nlohmann::json(resource.GroupVersion()).dump() +
                       ",\"kind\":" + nlohmann::json(resource.kind).dump();
  std::string continue_token;
  int limit = std::max(1, options.limit);
  std::string body, item;
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  while (true) {
    if (cancelled()) return Status(StatusCode::kCancelled, "listing " + resource.resource + ": cancelled");
    std::string path = base + "?limit=" + std::to_string(limit);
    if (!options.label_selector.empty()) path += "&labelSelector=" + QueryEscape(options.label_selector);
    if (!continue_token.empty()) path += "&continue=" + QueryEscape(continue_token);
    body.clear();
    bool too_large = false;
    httplib::Headers headers;
    if (options.metadata_only) {
      headers.emplace("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
    }
    auto res = client.Get(path, headers, [&](const char* data, size_t len) {
      if (body.size() + len > options.max_page_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, len);
      return true;
    });
    if (too_large) {
      if (limit == 1) {
        return ResourceExhausted(resource.resource + ": one object is larger than " +
                                 std::to_string(options.max_page_bytes) + " bytes");
      }
      limit = std::max(1, limit / 2);  // the same page again, in smaller pieces
      continue;
    }
    if (!res) return Status(StatusCode::kUnavailable, resource.resource + ": " + ApiMessage(res));
    if (res->status != 200) {
      res->body = body;
      std::string why = ApiMessage(res);
      if (res->status == 410) why += " (the list expired while it was read; run again)";
      return Status(res->status == 404 ? StatusCode::kNotFound : StatusCode::kUnavailable,
                    "listing " + resource.resource + ": " + why);
    }
    ++st.pages;
    st.largest_page_bytes = std::max(st.largest_page_bytes, body.size());
    auto page = page_decoder.Decode(body);
    if (!page.ok()) return Status(StatusCode::kUnavailable, "listing " + resource.resource + ": " + page.status().message());
    simdjson::dom::element root = (*page)->root();
    simdjson::dom::array items;
    if (root["items"].get(items) == simdjson::SUCCESS) {
      for (simdjson::dom::element obj : items) {
        if (cancelled()) return Status(StatusCode::kCancelled, "listing " + resource.resource + ": cancelled");
        if (!obj.is_object()) continue;
        std::string text = simdjson::minify(obj);
        item = prefix;
        if (text.size() > 2) item += "," + text.substr(1);
        else item += "}";
        auto decoded = object_decoder.Decode(item);
        if (!decoded.ok()) {
          return Status(StatusCode::kUnavailable, "listing " + resource.resource + ": " + decoded.status().message());
        }
        ++st.objects;
        on_object(std::move(*decoded));
      }
    }
    std::string_view next;
    if (root["metadata"]["continue"].get(next) != simdjson::SUCCESS || next.empty()) break;
    continue_token = std::string(next);
    limit = std::max(1, options.limit);
  }
  return Status::Ok();
}

}  // namespace clausegate::kube
