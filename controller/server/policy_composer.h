#pragma once
// The policy set a request pins is made of two parts: what the policy files hold
// (the last good set of them: files are all-or-nothing) and the resources of the
// cluster that load (each on its own). Either part changing makes one new set,
// swapped in whole; a resource policy that takes the name of a file's is left out.

#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "policy/loader.h"
#include "policy/model.h"
#include "server/policy_store.h"

namespace clausegate::server {

class PolicyComposer {
 public:
  PolicyComposer(PolicyStore& store, policy::LoadOptions options, std::ostream& log);

  void SetFiles(std::vector<policy::Policy> policies, std::vector<policy::PolicyException> exceptions);
  void SetResources(std::vector<policy::Policy> policies, std::vector<policy::PolicyException> exceptions);
  // The file a policy of this name is loaded from, or "" when no file has it.
  std::string FileOf(const std::string& policy_name) const;
  // Called (outside the lock) after the files' part changed: what depends on
  // FileOf looks again. Set before either part is.
  void set_on_files_changed(std::function<void()> f) { on_files_changed_ = std::move(f); }

  PolicyStore& store() { return store_; }

 private:
  void SwapLocked(const char* why);

  PolicyStore& store_;
  const policy::LoadOptions options_;
  std::ostream& log_;
  mutable std::mutex mu_;
  std::vector<policy::Policy> file_policies_, resource_policies_;
  std::vector<policy::PolicyException> file_exceptions_, resource_exceptions_;
  std::function<void()> on_files_changed_;
};

}  // namespace clausegate::server
