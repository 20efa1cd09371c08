#pragma once
// Kubernetes string validators (k8s.io/apimachinery validation and the
// kube-openapi formats) behind the Kubernetes CEL format library:
//   format.named("dns1123Label").value().validate("my-name")   -> optional.none
//   format.dns1123Label().validate("My_Name")                  -> optional.of([...errors])
//
// Each validator returns Kubernetes' error messages, worded as in
// k8s.io/apimachinery v0.37, and an empty vector when the string is valid.
// The matchers are hand-written equivalents of Kubernetes' regular
// expressions and run in linear time on any input.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate::cel::ext {

using NameValidator = std::vector<std::string> (*)(std::string_view);

// RFC 1123 label: at most 63 of [a-z0-9-], alphanumeric at both ends.
std::vector<std::string> Dns1123Label(std::string_view s);
// RFC 1123 subdomain: at most 253 bytes of dot-separated RFC 1123 labels.
std::vector<std::string> Dns1123Subdomain(std::string_view s);
// RFC 1035 label: as an RFC 1123 label, but starting with a letter.
std::vector<std::string> Dns1035Label(std::string_view s);
// Prefixes for generated names ("my-name-"): a trailing dash is allowed.
// Like Kubernetes, the check masks the last two bytes of such a string.
std::vector<std::string> Dns1123LabelPrefix(std::string_view s);
std::vector<std::string> Dns1123SubdomainPrefix(std::string_view s);
std::vector<std::string> Dns1035LabelPrefix(std::string_view s);
// [dns-subdomain "/"] name, name at most 63 of [-A-Za-z0-9_.] with
// alphanumeric ends (label keys, annotation keys, finalizers).
std::vector<std::string> QualifiedName(std::string_view s);
// Empty, or at most 63 of [-A-Za-z0-9_.] with alphanumeric ends.
std::vector<std::string> LabelValue(std::string_view s);
// An absolute URI or absolute path (url.ParseRequestURI, as isURL()).
std::vector<std::string> Uri(std::string_view s);
// 8-4-4-4-12 hex digits, either case; the dashes are optional.
std::vector<std::string> Uuid(std::string_view s);
// Standard padded base64 with at least one 4-byte group.
std::vector<std::string> Byte(std::string_view s);
// A real calendar date as "2006-01-02".
std::vector<std::string> Date(std::string_view s);
// RFC 3339 date-time as kube-openapi checks it: date, 'T' (either case),
// hh:mm:ss, optional fraction, 'Z' or an offset.
std::vector<std::string> DateTime(std::string_view s);

struct NameFormat {
  std::string_view name;          // name in the CEL format library ("dns1123Label")
  std::string_view display_name;  // the Format's name in Kubernetes ("DNS1123Label")
  NameValidator validate;
};

// Every format of the Kubernetes CEL format library, in a fixed order.
std::span<const NameFormat> NameFormats();

// The validator for a CEL format name (as format.named()), or nullptr.
const NameValidator* FindNameValidator(std::string_view name);

}  // namespace clausegate::cel::ext
