#pragma once
// The functions of a CEL environment, with their types: what the checker resolves
// calls against. The Kubernetes profile is exactly the ValidatingAdmissionPolicy
// environment of Kubernetes 1.37 (k8s.io/apiserver v0.37.2 with cel-go v0.29.2, as
// `cel-oracle decls` lists it); the clausegate profile adds the functions and macros
// clausegate offers beyond it (an opt-in per policy).

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cel/checker/types.h"

namespace clausegate::cel::checker {

enum class Profile : uint8_t {
  kKubernetes,  // the Kubernetes 1.37 VAP environment (the default)
  kClausegate,  // Kubernetes plus math, cel.bind, string reverse and one-variable existsOne
};

// "kubernetes-1.37" / "clausegate"; nullopt for an unknown name.
std::optional<Profile> ProfileByName(std::string_view name);
std::string_view ProfileName(Profile p);

struct OverloadDecl {
  bool member = false;
  bool any_args = false;    // clausegate extras with variable arguments: any arguments, the result below
  std::vector<Type> args;   // including the receiver of a member
  Type result;
};

class Declarations {
 public:
  // Built once per environment; immutable afterwards.
  static std::shared_ptr<const Declarations> Build(Profile profile);

  Profile profile() const { return profile_; }
  // The overloads of a function, or null if the environment has no such function.
  const std::vector<OverloadDecl>* Find(std::string_view name) const;
  // Every overload, one line each, as `cel-oracle decls` prints them (functions by
  // name, overloads in declaration order).
  std::vector<std::string> Lines() const;

 private:
  Profile profile_ = Profile::kKubernetes;
  std::unordered_map<std::string, std::vector<OverloadDecl>> functions_;
  std::vector<std::string> lines_;
};

}  // namespace clausegate::cel::checker
