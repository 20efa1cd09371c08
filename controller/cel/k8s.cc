// Kubernetes CEL libraries: quantity, url, ip, cidr, format.
#include "cel/runtime.h"

namespace clausegate::cel {
namespace {
constexpr Overload kKubernetes[] = {
    {"__placeholder__", false, 1, {kAny}, [](std::span<const Value> a, Frame&) { return a[0]; }},
};
}  // namespace
std::span<const Overload> KubernetesOverloads() { return kKubernetes; }
}  // namespace clausegate::cel
