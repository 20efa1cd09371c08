#include "server/policy_resources.h"

#include <algorithm>

#include <httplib.h>

#include "policy/resource_check.h"

namespace clausegate::server {
namespace {

constexpr const char* kApi = "/apis/clausegate.io/v1alpha1";
constexpr size_t kMaxConditionMessage = 4000;

std::string Text(const nlohmann::json& object, const nlohmann::json::json_pointer& at) {
  const nlohmann::json* v = object.contains(at) ? &object[at] : nullptr;
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// metav1.Time: seconds, UTC.
std::string ConditionTime(clausegate::Timestamp now) {
  now.nanos = 0;
  now.offset = 0;
  return clausegate::FormatTimestamp(now);
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  if (out.size() > kMaxConditionMessage) out = out.substr(0, kMaxConditionMessage) + "...";
  return out;
}

}  // namespace

PolicyResources::PolicyResources(kube::KubeConfig config, PolicyResourcesOptions options, PolicyComposer& composer,
                                 std::ostream& log)
    : config_(std::move(config)), options_(std::move(options)), composer_(composer), log_(log) {
  policies_kind_.kind = "CompliancePolicy";
  policies_kind_.plural = "compliancepolicies";
  exceptions_kind_.kind = "CompliancePolicyException";
  exceptions_kind_.plural = "compliancepolicyexceptions";
  for (Kind* k : {&policies_kind_, &exceptions_kind_}) {
    auto watch = std::make_unique<kube::ListWatch>(
        config_, kube::ListWatchOptions{.path = std::string(kApi) + "/" + k->plural, .what = k->kind, .max_backoff_ms = 60000},
        kube::ListWatchHandlers{
            .listed = [this, k](std::vector<nlohmann::json> items) { Listed(*k, std::move(items)); },
            .changed = [this, k](const std::string& type, const nlohmann::json& object) { Changed(*k, type, object); },
            // No CRDs (404), or no right to list them (403): nothing will come; serve the files.
            .list_failed = [k](int status) { if (status == 404 || status == 403) k->settled.store(true); }},
        log_);
    (k == &policies_kind_ ? policies_ : exceptions_) = std::move(watch);
  }
}

PolicyResources::~PolicyResources() { Stop(); }

void PolicyResources::Start() {
  policies_->Start();
  exceptions_->Start();
  status_thread_ = std::thread([this] { StatusLoop(); });
}

void PolicyResources::Stop() {
  policies_->Stop();
  exceptions_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (status_thread_.joinable()) status_thread_.join();
}

std::string PolicyResources::RenderMetrics() const {
  std::map<std::pair<std::string, bool>, int> counts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, e] : entries_) ++counts[{e.kind, e.problems.empty()}];
  }
  std::string out =
      "# HELP clausegate_policy_resources CompliancePolicy and CompliancePolicyException resources, loaded or refused.\n"
      "# TYPE clausegate_policy_resources gauge\n";
  for (const char* kind : {"CompliancePolicy", "CompliancePolicyException"}) {
    for (bool loaded : {true, false}) {
      auto it = counts.find({kind, loaded});
      out += std::string("clausegate_policy_resources{kind=\"") + kind + "\",state=\"" + (loaded ? "loaded" : "refused") +
             "\"} " + std::to_string(it == counts.end() ? 0 : it->second) + "\n";
    }
  }
  out += "# HELP clausegate_policy_resource_compiles_total Resources compiled after a change of what the loader reads.\n"
         "# TYPE clausegate_policy_resource_compiles_total counter\n"
         "clausegate_policy_resource_compiles_total " + std::to_string(compiles_.load()) + "\n"
         "# HELP clausegate_policy_resource_status_writes_total Status subresource writes by this replica.\n"
         "# TYPE clausegate_policy_resource_status_writes_total counter\n"
         "clausegate_policy_resource_status_writes_total " + std::to_string(status_writes_.load()) + "\n";
  return out;
}

bool PolicyResources::synced() const { return policies_kind_.settled.load() && exceptions_kind_.settled.load(); }

void PolicyResources::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  wake_.notify_all();
}

void PolicyResources::Upsert(const std::string& kind, const nlohmann::json& object) {
  std::string ns = Text(object, "/metadata/namespace"_json_pointer);
  std::string name = Text(object, "/metadata/name"_json_pointer);
  Entry& e = entries_[kind + "/" + ns + "/" + name];
  e.kind = kind;
  e.namespace_name = ns;
  e.name = name;
  const auto generation = "/metadata/generation"_json_pointer;
  e.generation = object.contains(generation) && object[generation].is_number_integer() ? object[generation].get<int64_t>() : 0;
  auto status = object.find("status");
  e.status = status != object.end() && status->is_object() ? *status : nlohmann::json::object();
  // What the loader reads; a write of status alone (ours) compiles nothing.
  std::string fingerprint = policy::ResourceSpecText(object);
  if (fingerprint == e.fingerprint) return;
  e.fingerprint = std::move(fingerprint);
  policy::LoadResult loaded = policy::LoadPolicyResource(e.fingerprint, options_.load);
  ++compiles_;
  e.problems = policy::ResourceProblems(loaded);
  e.policy.reset();
  e.exception.reset();
  if (loaded.issues.empty() && loaded.policies.size() == 1 && kind == "CompliancePolicy") {
    e.policy = std::move(loaded.policies[0]);
  } else if (loaded.issues.empty() && loaded.exceptions.size() == 1 && kind == "CompliancePolicyException") {
    e.exception = std::move(loaded.exceptions[0]);
  } else if (e.problems.empty()) {
    e.problems.push_back("kind: the resource holds no " + kind);
  }
  log_ << Dump({{"msg", e.problems.empty() ? "policy resource compiled" : "policy resource refused; left out"},
                {"kind", kind},
                {"name", ns.empty() ? name : ns + "/" + name},
                {"generation", e.generation},
                {"problems", e.problems}})
       << "\n" << std::flush;
}

void PolicyResources::Listed(Kind& k, std::vector<nlohmann::json> items) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> keep;
    for (const auto& item : items) {
      Upsert(k.kind, item);
      keep.insert(k.kind + "/" + Text(item, "/metadata/namespace"_json_pointer) + "/" +
                  Text(item, "/metadata/name"_json_pointer));
    }
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.kind == k.kind && !keep.count(it->first) ? entries_.erase(it) : std::next(it);
    }
    k.settled.store(true);
    PublishLocked();
    dirty_ = true;
  }
  wake_.notify_all();
}

void PolicyResources::Changed(Kind& k, const std::string& type, const nlohmann::json& object) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = k.kind + "/" + Text(object, "/metadata/namespace"_json_pointer) + "/" +
                      Text(object, "/metadata/name"_json_pointer);
    auto before = entries_.count(key) ? entries_[key].fingerprint : std::string();
    if (type == "DELETED") {
      entries_.erase(key);
      PublishLocked();
    } else {
      Upsert(k.kind, object);
      if (entries_[key].fingerprint != before) PublishLocked();
    }
    dirty_ = true;
  }
  wake_.notify_all();
}

void PolicyResources::PublishLocked() {
  std::vector<policy::Policy> policies;
  std::vector<policy::PolicyException> exceptions;
  std::string published;
  for (const auto& [key, e] : entries_) {
    if (e.policy) policies.push_back(*e.policy);
    if (e.exception) exceptions.push_back(*e.exception);
    if (e.policy || e.exception) published += key + "\n" + e.fingerprint + "\n";
  }
  // The same resources make the same set: no new generation.
  if (published == published_) return;
  published_ = std::move(published);
  composer_.SetResources(std::move(policies), std::move(exceptions));
}

nlohmann::json PolicyResources::DesiredStatus(const Entry& e, clausegate::Timestamp now) const {
  std::string status = "True", reason = "Loaded", message;
  std::optional<bool> active;
  if (e.kind == "CompliancePolicy") {
    std::string file = e.policy ? composer_.FileOf(e.name) : "";
    if (!e.problems.empty()) {
      status = "False", reason = "Invalid", message = Join(e.problems);
    } else if (!file.empty()) {
      status = "False", reason = "NameTaken";
      message = "a policy named \"" + e.name + "\" is loaded from " + file + "; this resource is left out";
    } else {
      size_t rules = e.policy ? e.policy->validations.size() : 0;
      message = "compiled: " + std::to_string(rules) + (rules == 1 ? " rule" : " rules") + ", enforced";
    }
  } else {
    active = false;
    if (!e.exception || !e.problems.empty()) {
      status = "False", reason = e.exception ? "Incomplete" : "Invalid", message = Join(e.problems);
      if (e.exception) message += "; it waives nothing";
    } else if (e.exception->expires && clausegate::CompareTimestamps(*e.exception->expires, now) <= 0) {
      reason = "Expired";
      message = "expired at " + clausegate::FormatTimestamp(*e.exception->expires) + "; it waives nothing";
    } else {
      active = true;
      message = "waives until " + clausegate::FormatTimestamp(*e.exception->expires) + " (ticket " +
                e.exception->ticket + ")";
    }
  }
  // The transition time moves only when the condition's status does.
  std::string since = ConditionTime(now);
  if (auto it = e.status.find("conditions"); it != e.status.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_object() && c.value("type", "") == "Ready" && c.value("status", "") == status &&
          c.contains("lastTransitionTime") && c["lastTransitionTime"].is_string()) {
        since = c["lastTransitionTime"].get<std::string>();
      }
    }
  }
  nlohmann::json out = {{"observedGeneration", e.generation},
                        {"conditions",
                         {{{"type", "Ready"},
                           {"status", status},
                           {"reason", reason},
                           {"message", message},
                           {"observedGeneration", e.generation},
                           {"lastTransitionTime", since}}}}};
  if (active) out["active"] = *active;
  return out;
}

bool PolicyResources::WriteStatus(const Entry& e, const nlohmann::json& status) {
  std::string path = std::string(kApi) + (e.namespace_name.empty() ? "" : "/namespaces/" + e.namespace_name) + "/" +
                     (e.kind == "CompliancePolicy" ? policies_kind_.plural : exceptions_kind_.plural) + "/" + e.name +
                     "/status";
  auto client = kube::MakeKubeClient(config_);
  client->set_read_timeout(10);
  auto res = client->Patch(path, Dump({{"status", status}}), "application/merge-patch+json");
  if (res && res->status == 200) {
    ++status_writes_;
    return true;
  }
  log_ << Dump({{"msg", "policy resource status not written"},
                {"kind", e.kind},
                {"name", e.namespace_name.empty() ? e.name : e.namespace_name + "/" + e.name},
                {"error", kube::ApiMessage(res)}})
       << "\n" << std::flush;
  return false;
}

void PolicyResources::StatusLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto wait = options_.resync;
  while (!stop_.load()) {
    wake_.wait_for(lock, wait, [this] { return dirty_ || stop_.load(); });
    if (stop_.load()) return;
    dirty_ = false;
    wait = options_.resync;
    if (!options_.leading || !options_.leading()) continue;
    clausegate::Timestamp now = options_.clock();
    std::vector<std::pair<std::string, nlohmann::json>> writes;
    for (const auto& [key, e] : entries_) {
      nlohmann::json desired = DesiredStatus(e, now);
      if (desired != e.status) writes.emplace_back(key, std::move(desired));
      // An exception in force is looked at again when it expires.
      if (e.exception && e.exception->expires && clausegate::CompareTimestamps(*e.exception->expires, now) > 0) {
        int64_t ms = (e.exception->expires->seconds - now.seconds) * 1000 +
                     (e.exception->expires->nanos - now.nanos) / 1'000'000 + 50;
        wait = std::min(wait, std::chrono::milliseconds(std::max<int64_t>(ms, 50)));
      }
    }
    for (auto& [key, desired] : writes) {
      auto it = entries_.find(key);
      if (it == entries_.end()) continue;
      Entry copy = it->second;
      lock.unlock();
      bool written = WriteStatus(copy, desired);
      lock.lock();
      if (stop_.load()) return;
      it = entries_.find(key);
      // Kept as written until the watch brings it back, so that it is not written twice.
      if (written && it != entries_.end() && it->second.fingerprint == copy.fingerprint) it->second.status = desired;
      if (!written) wait = std::min(wait, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace clausegate::server
