// Kubernetes CEL libraries: quantity, url, ip, cidr and named formats. The
// parsing and arithmetic live in cel/ext/; this file makes them CEL values and
// functions with the Kubernetes names and signatures.

#include "cel/ext/k8s_names.h"
#include "cel/ext/net.h"
#include "cel/ext/quantity.h"
#include "cel/ext/semver.h"
#include "cel/ext/url.h"
#include "cel/runtime/runtime.h"

namespace clausegate::cel {
namespace {

using Args = std::span<const Value>;

template <typename T, const char* Name>
class Wrapped : public OpaqueValue {
 public:
  explicit Wrapped(T v) : v_(std::move(v)) {}
  std::string_view TypeName() const override { return Name; }
  const T& get() const { return v_; }
  bool Equals(const OpaqueValue& other) const override {
    auto* o = dynamic_cast<const Wrapped*>(&other);
    return o && Same(v_, o->v_);
  }
  std::string ToString() const override { return Print(v_); }
  std::optional<uint64_t> Size() const override { return SizeOf(v_); }

 private:
  // Kubernetes' IP and CIDR are sized in bytes: of the address, of the prefix.
  static std::optional<uint64_t> SizeOf(const ext::IpAddress& ip) { return ip.family == 4 ? 4 : 16; }
  static std::optional<uint64_t> SizeOf(const ext::Cidr& c) { return (c.prefix_length + 7) / 8; }
  template <typename U>
  static std::optional<uint64_t> SizeOf(const U&) { return std::nullopt; }
  static bool Same(const ext::Quantity& a, const ext::Quantity& b) { return a.Compare(b) == 0; }
  static bool Same(const ext::Url& a, const ext::Url& b) {
    return a.scheme == b.scheme && a.host == b.host && a.EscapedPath() == b.EscapedPath() && a.raw_query == b.raw_query;
  }
  static bool Same(const ext::IpAddress& a, const ext::IpAddress& b) { return a.family == b.family && a.bytes == b.bytes; }
  static bool Same(const ext::Cidr& a, const ext::Cidr& b) {
    return a.prefix_length == b.prefix_length && Same(a.ip, b.ip);
  }
  static bool Same(const std::string& a, const std::string& b) { return a == b; }
  static bool Same(const ext::Semver& a, const ext::Semver& b) { return a.Compare(b) == 0; }
  static std::string Print(const ext::Quantity& q) { return q.ToString(); }
  static std::string Print(const ext::Url& u) {
    std::string s = u.scheme.empty() ? "" : u.scheme + "://";
    s += u.host + u.EscapedPath();
    if (!u.raw_query.empty()) s += "?" + u.raw_query;
    return s;
  }
  static std::string Print(const ext::IpAddress& ip) { return ext::FormatIp(ip); }
  static std::string Print(const ext::Cidr& c) { return ext::FormatCidr(c); }
  static std::string Print(const ext::Semver& v) { return v.ToString(); }
  static std::string Print(const std::string& name) { return name; }

  T v_;
};

constexpr char kQuantityType[] = "kubernetes.Quantity";
constexpr char kUrlType[] = "kubernetes.URL";
constexpr char kIpType[] = "net.IP";
constexpr char kCidrType[] = "net.CIDR";
constexpr char kFormatType[] = "kubernetes.NamedFormat";
constexpr char kSemverType[] = "kubernetes.Semver";
using QuantityValue = Wrapped<ext::Quantity, kQuantityType>;
using UrlValue = Wrapped<ext::Url, kUrlType>;
using IpValue = Wrapped<ext::IpAddress, kIpType>;
using CidrValue = Wrapped<ext::Cidr, kCidrType>;
using FormatValue = Wrapped<std::string, kFormatType>;  // the validator's name
using SemverValue = Wrapped<ext::Semver, kSemverType>;

template <typename W, typename T>
Value Make(T v) {
  return Value::Opaque(std::make_shared<const W>(std::move(v)));
}
template <typename W>
const W* As(const Value& v) {
  return v.kind() == Kind::kOpaque ? v.opaque_as<W>() : nullptr;
}

// --- quantity -------------------------------------------------------------------

Value QuantityFromString(Args a, Frame&) {
  std::string err;
  auto q = ext::Quantity::Parse(a[0].string_value(), &err);
  if (!q) return Value::Error("quantities must match the regular expression: " + std::string(a[0].string_value()) + (err.empty() ? "" : ": " + err));
  return Make<QuantityValue>(std::move(*q));
}
Value IsQuantity(Args a, Frame&) { return Value::Bool(ext::Quantity::Parse(a[0].string_value()).has_value()); }

#define CG_QUANTITY_OR_FAIL(var, value, fn)          \
  const QuantityValue* var = As<QuantityValue>(value); \
  if (!var) return NoSuchOverload(fn)

Value QuantitySign(Args a, Frame&) {
  CG_QUANTITY_OR_FAIL(q, a[0], "sign");
  return Value::Int(q->get().Sign());
}
Value QuantityIsInteger(Args a, Frame&) {
  CG_QUANTITY_OR_FAIL(q, a[0], "isInteger");
  return Value::Bool(q->get().IsInteger());
}
Value QuantityAsInteger(Args a, Frame&) {
  CG_QUANTITY_OR_FAIL(q, a[0], "asInteger");
  auto i = q->get().AsInteger();
  if (!i) return Value::Error("cannot convert value to integer: " + q->get().ToString());
  return Value::Int(*i);
}
Value QuantityAsFloat(Args a, Frame&) {
  CG_QUANTITY_OR_FAIL(q, a[0], "asApproximateFloat");
  return Value::Double(q->get().AsApproximateFloat());
}

// The other operand of add/sub/compare: a quantity or (for add/sub) an int.
std::optional<ext::Quantity> Operand(const Value& v, bool allow_int) {
  if (auto* q = As<QuantityValue>(v)) return q->get();
  if (allow_int && v.kind() == Kind::kInt) return ext::Quantity::FromInt(v.int_value());
  return std::nullopt;
}

template <bool Subtract>
Value QuantityArith(Args a, Frame&) {
  CG_QUANTITY_OR_FAIL(q, a[0], Subtract ? "sub" : "add");
  auto other = Operand(a[1], true);
  if (!other) return NoSuchOverload(Subtract ? "sub" : "add");
  auto r = Subtract ? q->get().Sub(*other) : q->get().Add(*other);
  if (!r) return Value::Error("quantity arithmetic overflow");
  return Make<QuantityValue>(std::move(*r));
}

enum class Cmp { kGreater, kLess, kCompare };
Value SemverCompare(const SemverValue& v, const Value& other, Cmp c);

// isGreaterThan, isLessThan and compareTo serve quantities and semantic versions.
template <Cmp C>
Value QuantityCompare(Args a, Frame&) {
  if (auto* v = As<SemverValue>(a[0])) return SemverCompare(*v, a[1], C);
  CG_QUANTITY_OR_FAIL(q, a[0], "compareTo");
  auto other = Operand(a[1], false);
  if (!other) return NoSuchOverload("compareTo");
  int c = q->get().Compare(*other);
  if (C == Cmp::kGreater) return Value::Bool(c > 0);
  if (C == Cmp::kLess) return Value::Bool(c < 0);
  return Value::Int(c);
}

// --- url --------------------------------------------------------------------------

Value UrlFromString(Args a, Frame&) {
  std::string err;
  auto u = ext::ParseUrl(a[0].string_value(), &err);
  if (!u) return Value::Error("URL parse error during conversion from string: " + err);
  return Make<UrlValue>(std::move(*u));
}
Value IsUrl(Args a, Frame&) { return Value::Bool(ext::IsUrl(a[0].string_value())); }

template <int Part>
Value UrlPart(Args a, Frame&) {
  auto* u = As<UrlValue>(a[0]);
  if (!u) return NoSuchOverload("url accessor");
  const ext::Url& url = u->get();
  switch (Part) {
    case 0: return Value::String(url.scheme);
    case 1: return Value::String(url.host);
    case 2: return Value::String(url.Hostname());
    case 3: return Value::String(url.Port());
    case 4: return Value::String(url.EscapedPath());
    default: {
      std::vector<std::pair<Value, Value>> entries;
      for (auto& [k, vs] : url.Query()) {
        std::vector<Value> items;
        for (auto& s : vs) items.push_back(Value::String(s));
        entries.emplace_back(Value::String(k), Value::List(std::move(items)));
      }
      return Value::Map(std::move(entries));
    }
  }
}

// --- ip and cidr --------------------------------------------------------------------

// --- semver ----------------------------------------------------------------------

Value SemverCompare(const SemverValue& v, const Value& other, Cmp c) {
  auto* o = As<SemverValue>(other);
  if (!o) return NoSuchOverload("compareTo");
  int r = v.get().Compare(o->get());
  if (c == Cmp::kGreater) return Value::Bool(r > 0);
  if (c == Cmp::kLess) return Value::Bool(r < 0);
  return Value::Int(r);
}
Value SemverFromString(Args a, Frame&) {
  std::string err;
  bool normalize = a.size() > 1 && a[1].bool_value();
  auto v = ext::ParseSemver(a[0].string_value(), normalize, &err);
  if (!v) return Value::Error(err);
  return Make<SemverValue>(std::move(*v));
}
Value IsSemver(Args a, Frame&) {
  bool normalize = a.size() > 1 && a[1].bool_value();
  return Value::Bool(ext::ParseSemver(a[0].string_value(), normalize).has_value());
}
template <int Part>
Value SemverPart(Args a, Frame&) {
  auto* v = As<SemverValue>(a[0]);
  if (!v) return NoSuchOverload(Part == 0 ? "major" : Part == 1 ? "minor" : "patch");
  uint64_t n = Part == 0 ? v->get().major : Part == 1 ? v->get().minor : v->get().patch;
  return Value::Int(static_cast<int64_t>(n));
}

Value IpFromString(Args a, Frame&) {
  std::string err;
  auto ip = ext::ParseIp(a[0].string_value(), &err);
  if (!ip) return Value::Error("IP Address '" + std::string(a[0].string_value()) + "' parse error during conversion from string: " + err);
  return Make<IpValue>(*ip);
}
Value IsIp(Args a, Frame&) { return Value::Bool(ext::ParseIp(a[0].string_value()).has_value()); }
Value IpIsCanonical(Args a, Frame&) {
  if (!ext::ParseIp(a[0].string_value())) return Value::Error("IP Address '" + std::string(a[0].string_value()) + "' parse error");
  return Value::Bool(ext::IsCanonical(a[0].string_value()));
}

template <int Test>
Value IpTest(Args a, Frame&) {
  auto* ip = As<IpValue>(a[0]);
  if (!ip) return NoSuchOverload("ip accessor");
  const ext::IpAddress& v = ip->get();
  switch (Test) {
    case 0: return Value::Int(v.family);
    case 1: return Value::Bool(ext::IsUnspecified(v));
    case 2: return Value::Bool(ext::IsLoopback(v));
    case 3: return Value::Bool(ext::IsLinkLocalMulticast(v));
    case 4: return Value::Bool(ext::IsLinkLocalUnicast(v));
    default: return Value::Bool(ext::IsGlobalUnicast(v));
  }
}

Value CidrFromString(Args a, Frame&) {
  std::string err;
  auto c = ext::ParseCidr(a[0].string_value(), &err);
  if (!c) return Value::Error("network address parse error during conversion from string: " + err);
  return Make<CidrValue>(*c);
}
Value IsCidr(Args a, Frame&) { return Value::Bool(ext::ParseCidr(a[0].string_value()).has_value()); }

Value CidrContainsIp(Args a, Frame&) {
  auto* c = As<CidrValue>(a[0]);
  if (!c) return NoSuchOverload("containsIP");
  std::optional<ext::IpAddress> ip;
  if (auto* w = As<IpValue>(a[1])) ip = w->get();
  else if (a[1].kind() == Kind::kString) ip = ext::ParseIp(a[1].string_value());
  else return NoSuchOverload("containsIP");
  if (!ip) return Value::Error("IP Address '" + std::string(a[1].string_value()) + "' parse error");
  return Value::Bool(ext::ContainsIp(c->get(), *ip));
}
Value CidrContainsCidr(Args a, Frame&) {
  auto* c = As<CidrValue>(a[0]);
  if (!c) return NoSuchOverload("containsCIDR");
  std::optional<ext::Cidr> other;
  if (auto* w = As<CidrValue>(a[1])) other = w->get();
  else if (a[1].kind() == Kind::kString) other = ext::ParseCidr(a[1].string_value());
  else return NoSuchOverload("containsCIDR");
  if (!other) return Value::Error("network address '" + std::string(a[1].string_value()) + "' parse error");
  return Value::Bool(ext::ContainsCidr(c->get(), *other));
}
Value CidrIp(Args a, Frame&) {
  auto* c = As<CidrValue>(a[0]);
  if (!c) return NoSuchOverload("ip");
  return Make<IpValue>(c->get().ip);
}
Value CidrMasked(Args a, Frame&) {
  auto* c = As<CidrValue>(a[0]);
  if (!c) return NoSuchOverload("masked");
  return Make<CidrValue>(ext::Masked(c->get()));
}
Value CidrPrefixLength(Args a, Frame&) {
  auto* c = As<CidrValue>(a[0]);
  if (!c) return NoSuchOverload("prefixLength");
  return Value::Int(c->get().prefix_length);
}

// --- named formats: format.dns1123Label().validate(s), format.named(name) ----------

Value FormatNamed(Args a, Frame&) {
  std::string name(a[0].string_value());
  if (!ext::FindNameValidator(name)) return Value::OptionalNone();
  return Value::Optional(Make<FormatValue>(name));
}
Value FormatValidate(Args a, Frame&) {
  auto* fv = As<FormatValue>(a[0]);
  if (!fv) return NoSuchOverload("validate");
  const ext::NameValidator* v = ext::FindNameValidator(fv->get());
  if (!v) return NoSuchOverload("validate");
  std::vector<std::string> errors = (*v)(a[1].string_value());
  if (errors.empty()) return Value::OptionalNone();
  std::vector<Value> items;
  for (auto& e : errors) items.push_back(Value::String(std::move(e)));
  return Value::Optional(Value::List(std::move(items)));
}
template <const char* Name>
Value FormatByName(Args, Frame&) {
  return Make<FormatValue>(std::string(Name));
}

constexpr char kDns1123Label[] = "dns1123Label";
constexpr char kDns1123Subdomain[] = "dns1123Subdomain";
constexpr char kDns1035Label[] = "dns1035Label";
constexpr char kQualifiedName[] = "qualifiedName";
constexpr char kLabelValue[] = "labelValue";
constexpr char kUuid[] = "uuid";
constexpr char kDate[] = "date";
constexpr char kUri[] = "uri";
constexpr char kByte[] = "byte";
constexpr char kDateTime[] = "datetime";
constexpr char kDns1123LabelPrefix[] = "dns1123LabelPrefix";
constexpr char kDns1123SubdomainPrefix[] = "dns1123SubdomainPrefix";
constexpr char kDns1035LabelPrefix[] = "dns1035LabelPrefix";

Value StringOfAddress(Args a, Frame&) {
  std::string_view type = a[0].opaque().TypeName();
  if (type != kIpType && type != kCidrType) return NoSuchOverload("string");
  return Value::String(a[0].opaque().ToString());
}

constexpr KindMask kS = K(Kind::kString), kO = K(Kind::kOpaque), kI = K(Kind::kInt), kBool = K(Kind::kBool);

constexpr Overload kKubernetes[] = {
    {"quantity", false, 1, {kS}, QuantityFromString},
    {"isQuantity", false, 1, {kS}, IsQuantity},
    {"sign", false, 1, {kO}, QuantitySign},  // a global function in Kubernetes: sign(q)
    {"isInteger", true, 1, {kO}, QuantityIsInteger},
    {"asInteger", true, 1, {kO}, QuantityAsInteger},
    {"asApproximateFloat", true, 1, {kO}, QuantityAsFloat},
    {"add", true, 2, {kO, kO | kI}, QuantityArith<false>},
    {"sub", true, 2, {kO, kO | kI}, QuantityArith<true>},
    {"isGreaterThan", true, 2, {kO, kO}, QuantityCompare<Cmp::kGreater>},
    {"isLessThan", true, 2, {kO, kO}, QuantityCompare<Cmp::kLess>},
    {"compareTo", true, 2, {kO, kO}, QuantityCompare<Cmp::kCompare>},

    {"semver", false, 1, {kS}, SemverFromString},
    {"semver", false, 2, {kS, kBool}, SemverFromString},
    {"isSemver", false, 1, {kS}, IsSemver},
    {"isSemver", false, 2, {kS, kBool}, IsSemver},
    {"major", true, 1, {kO}, SemverPart<0>},
    {"minor", true, 1, {kO}, SemverPart<1>},
    {"patch", true, 1, {kO}, SemverPart<2>},

    {"url", false, 1, {kS}, UrlFromString},
    {"isURL", false, 1, {kS}, IsUrl},
    {"getScheme", true, 1, {kO}, UrlPart<0>},
    {"getHost", true, 1, {kO}, UrlPart<1>},
    {"getHostname", true, 1, {kO}, UrlPart<2>},
    {"getPort", true, 1, {kO}, UrlPart<3>},
    {"getEscapedPath", true, 1, {kO}, UrlPart<4>},
    {"getQuery", true, 1, {kO}, UrlPart<5>},

    {"ip", false, 1, {kS}, IpFromString},
    {"isIP", false, 1, {kS}, IsIp},
    {"ip.isCanonical", false, 1, {kS}, IpIsCanonical},
    {"family", true, 1, {kO}, IpTest<0>},
    {"isUnspecified", true, 1, {kO}, IpTest<1>},
    {"isLoopback", true, 1, {kO}, IpTest<2>},
    {"isLinkLocalMulticast", true, 1, {kO}, IpTest<3>},
    {"isLinkLocalUnicast", true, 1, {kO}, IpTest<4>},
    {"isGlobalUnicast", true, 1, {kO}, IpTest<5>},
    {"cidr", false, 1, {kS}, CidrFromString},
    {"isCIDR", false, 1, {kS}, IsCidr},
    {"containsIP", true, 2, {kO, kO | kS}, CidrContainsIp},
    {"containsCIDR", true, 2, {kO, kO | kS}, CidrContainsCidr},
    {"ip", true, 1, {kO}, CidrIp},
    {"masked", true, 1, {kO}, CidrMasked},
    {"prefixLength", true, 1, {kO}, CidrPrefixLength},
    // Kubernetes converts an IP or a CIDR to a string, not a quantity or a URL.
    {"string", false, 1, {kO}, StringOfAddress},

    {"format.named", false, 1, {kS}, FormatNamed},
    {"validate", true, 2, {kO, kS}, FormatValidate},
    {"format.dns1123Label", false, 0, {}, FormatByName<kDns1123Label>},
    {"format.dns1123Subdomain", false, 0, {}, FormatByName<kDns1123Subdomain>},
    {"format.dns1035Label", false, 0, {}, FormatByName<kDns1035Label>},
    {"format.qualifiedName", false, 0, {}, FormatByName<kQualifiedName>},
    {"format.labelValue", false, 0, {}, FormatByName<kLabelValue>},
    {"format.uuid", false, 0, {}, FormatByName<kUuid>},
    {"format.date", false, 0, {}, FormatByName<kDate>},
    {"format.uri", false, 0, {}, FormatByName<kUri>},
    {"format.byte", false, 0, {}, FormatByName<kByte>},
    {"format.datetime", false, 0, {}, FormatByName<kDateTime>},
    {"format.dns1123LabelPrefix", false, 0, {}, FormatByName<kDns1123LabelPrefix>},
    {"format.dns1123SubdomainPrefix", false, 0, {}, FormatByName<kDns1123SubdomainPrefix>},
    {"format.dns1035LabelPrefix", false, 0, {}, FormatByName<kDns1035LabelPrefix>},
};

}  // namespace

std::span<const Overload> KubernetesOverloads() { return kKubernetes; }

}  // namespace clausegate::cel
