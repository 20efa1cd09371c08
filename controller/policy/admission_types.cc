#include "policy/admission_types.h"

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

namespace clausegate::policy {
namespace {

using cel::checker::Type;

Type Object(std::string name, std::initializer_list<std::pair<const char*, Type>> fields) {
  auto f = std::make_shared<cel::checker::ObjectFields>();
  for (const auto& [n, t] : fields) f->fields.emplace(n, t);
  return Type::Object(std::move(name), std::move(f));
}

}  // namespace

Type AdmissionRequestType() {
  Type s = Type::String();
  Type gvk = Object("kubernetes.GroupVersionKind", {{"group", s}, {"version", s}, {"kind", s}});
  Type gvr = Object("kubernetes.GroupVersionResource", {{"group", s}, {"version", s}, {"resource", s}});
  Type user = Object("kubernetes.UserInfo", {{"username", s},
                                             {"uid", s},
                                             {"groups", Type::List(s)},
                                             {"extra", Type::Map(s, Type::List(s))}});
  return Object("kubernetes.AdmissionRequest", {{"kind", gvk},
                                                {"resource", gvr},
                                                {"subResource", s},
                                                {"requestKind", gvk},
                                                {"requestResource", gvr},
                                                {"requestSubResource", s},
                                                {"name", s},
                                                {"namespace", s},
                                                {"operation", s},
                                                {"userInfo", user},
                                                {"dryRun", Type::Bool()},
                                                {"options", Type::Dyn()}});
}

Type NamespaceObjectType() {
  Type s = Type::String();
  Type strings = Type::List(s);
  Type spec = Object("kubernetes.NamespaceSpec", {{"finalizers", strings}});
  Type condition = Object("kubernetes.NamespaceCondition", {{"status", s},
                                                            {"type", s},
                                                            {"lastTransitionTime", Type::Timestamp()},
                                                            {"message", s},
                                                            {"reason", s}});
  Type status = Object("kubernetes.NamespaceStatus", {{"conditions", Type::List(condition)}, {"phase", s}});
  Type metadata = Object("kubernetes.NamespaceMetadata", {{"name", s},
                                                          {"generateName", s},
                                                          {"namespace", s},
                                                          {"labels", Type::Map(s, s)},
                                                          {"annotations", Type::Map(s, s)},
                                                          {"UID", s},
                                                          {"creationTimestamp", Type::Timestamp()},
                                                          {"deletionGracePeriodSeconds", Type::Int()},
                                                          {"deletionTimestamp", Type::Timestamp()},
                                                          {"generation", Type::Int()},
                                                          {"resourceVersion", s},
                                                          {"finalizers", strings}});
  return Object("kubernetes.Namespace", {{"metadata", metadata}, {"spec", spec}, {"status", status}});
}

std::optional<Type> AdmissionTypeByName(std::string_view name) {
  if (name == "kubernetes.AdmissionRequest") return AdmissionRequestType();
  if (name == "kubernetes.Namespace") return NamespaceObjectType();
  return cel::checker::ParseType(name);
}

}  // namespace clausegate::policy
