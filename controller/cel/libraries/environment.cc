// The standard environment: which function libraries an Env holds for its profile.
// (The runtime declares Env; its constructor lives here, with the libraries it
// gathers, so that the runtime does not depend on them.)

#include "cel/runtime/program.h"
#include "cel/runtime/runtime.h"

namespace clausegate::cel {

Env::Env(checker::Profile profile) : declarations_(checker::Declarations::Build(profile)) {
  for (auto table : {StandardOverloads(), StringOverloads(), MathOverloads(), ListOverloads(),
                     OptionalOverloads(), RegexOverloads(), KubernetesOverloads(),
                     FormatOverloads(profile == checker::Profile::kKubernetes)}) {
    for (const Overload& o : table) functions_[o.name].push_back(&o);
  }
}

}  // namespace clausegate::cel
