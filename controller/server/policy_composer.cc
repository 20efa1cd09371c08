#include "server/policy_composer.h"

#include <nlohmann/json.hpp>

#include "policy/resource_check.h"

namespace clausegate::server {

PolicyComposer::PolicyComposer(PolicyStore& store, policy::LoadOptions options, std::ostream& log)
    : store_(store), options_(std::move(options)), log_(log) {}

void PolicyComposer::SetFiles(std::vector<policy::Policy> policies, std::vector<policy::PolicyException> exceptions) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    file_policies_ = std::move(policies);
    file_exceptions_ = std::move(exceptions);
    SwapLocked("files");
  }
  if (on_files_changed_) on_files_changed_();
}

void PolicyComposer::SetResources(std::vector<policy::Policy> policies,
                                  std::vector<policy::PolicyException> exceptions) {
  std::lock_guard<std::mutex> lock(mu_);
  resource_policies_ = std::move(policies);
  resource_exceptions_ = std::move(exceptions);
  SwapLocked("resources");
}

std::string PolicyComposer::FileOf(const std::string& policy_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& p : file_policies_) {
    if (p.name == policy_name) return p.origin.file;
  }
  return "";
}

void PolicyComposer::SwapLocked(const char* why) {
  std::vector<policy::Policy> policies = file_policies_;
  size_t from_resources =
      resource_policies_.size() - policy::JoinResourcePolicies(&policies, resource_policies_).size();
  std::vector<policy::PolicyException> exceptions = file_exceptions_;
  exceptions.insert(exceptions.end(), resource_exceptions_.begin(), resource_exceptions_.end());
  size_t count = policies.size(), exception_count = exceptions.size();
  store_.Swap(std::make_shared<const engine::PolicySet>(std::move(policies), std::move(exceptions), options_),
              std::string_view(why) == "files");
  if (store_.Current().generation == 1) return;  // the first: `serve` says it is serving
  log_ << nlohmann::json{{"msg", "policy set loaded"},
                         {"changed", why},
                         {"generation", store_.Current().generation},
                         {"policies", count},
                         {"fromResources", from_resources},
                         {"exceptions", exception_count}}
              .dump()
       << "\n" << std::flush;
}

}  // namespace clausegate::server
