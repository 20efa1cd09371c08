// The Kubernetes CEL libraries as policies call them.

#include <catch2/catch.hpp>

#include "../runtime/eval_helpers.h"

using namespace clausegate::cel;
using namespace clausegate::cel::testing;

namespace {
bool True(const std::string& expr) {
  Value v = Eval(expr);
  INFO(expr << " => " << Tagged(v));
  return v.kind() == Kind::kBool && v.bool_value();
}
}  // namespace

TEST_CASE("kubernetes: quantity", "[cel][k8s]") {
  CHECK(True("quantity('1Gi').isGreaterThan(quantity('1G'))"));
  CHECK(True("quantity('500m').isLessThan(quantity('1'))"));
  CHECK(True("quantity('1.5') == quantity('1500m')"));
  CHECK(True("quantity('1k').compareTo(quantity('1000')) == 0"));
  CHECK(True("quantity('2Ki').asInteger() == 2048"));
  CHECK(True("!quantity('100m').isInteger()"));
  CHECK(True("quantity('1Mi').add(quantity('1Mi')) == quantity('2Mi')"));
  CHECK(True("sign(quantity('1').sub(1)) == 0"));  // a global function, as in Kubernetes
  CHECK(True("quantity('1.5').asApproximateFloat() == 1.5"));
  CHECK(True("isQuantity('128Mi') && !isQuantity('12 Mi') && !isQuantity('')"));
  CHECK(EvalError("quantity('abc')") != "");
  CHECK(EvalError("quantity('100m').asInteger()") != "");
  // A typical resource-limit rule over a document-shaped map.
  CHECK(True("{'limits': {'memory': '256Mi'}}.limits.memory.matches('^[0-9]+Mi$') && "
             "quantity({'limits': {'memory': '256Mi'}}.limits.memory).isLessThan(quantity('1Gi'))"));
}

TEST_CASE("kubernetes: url", "[cel][k8s]") {
  CHECK(True("url('https://example.com:80/').getHost() == 'example.com:80'"));
  CHECK(True("url('https://example.com:80/').getHostname() == 'example.com'"));
  CHECK(True("url('https://example.com:80/').getPort() == '80'"));
  CHECK(True("url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'"));
  CHECK(True("url('https://example.com/p?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}"));
  CHECK(True("url('/absolute-path').getScheme() == ''"));
  CHECK(True("url('https://[::1]:8443/').getHostname() == '::1'"));
  CHECK(True("!isURL('../relative-path') && isURL('https://a.com/x')"));
  CHECK(EvalError("url('../relative-path')") != "");
}

TEST_CASE("kubernetes: ip and cidr", "[cel][k8s]") {
  CHECK(True("ip('10.0.0.1').family() == 4 && ip('::1').family() == 6"));
  CHECK(True("ip('127.0.0.1').isLoopback() && ip('0.0.0.0').isUnspecified()"));
  CHECK(True("ip('169.254.1.1').isLinkLocalUnicast() && ip('224.0.0.1').isLinkLocalMulticast()"));
  CHECK(True("ip('8.8.8.8').isGlobalUnicast() && !ip('127.0.0.1').isGlobalUnicast()"));
  CHECK(True("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')"));
  CHECK(True("isIP('10.0.0.1') && !isIP('10.0.0.256') && !isIP('::ffff:1.2.3.4')"));
  CHECK(True("cidr('10.0.0.0/8').containsIP(ip('10.1.2.3')) && cidr('10.0.0.0/8').containsIP('10.1.2.3')"));
  CHECK(True("!cidr('10.0.0.0/8').containsIP('11.0.0.1') && !cidr('10.0.0.0/8').containsIP('::1')"));
  CHECK(True("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')"));
  CHECK(True("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')"));
  CHECK(True("cidr('192.168.0.0/24').prefixLength() == 24 && cidr('192.168.0.1/24').ip() == ip('192.168.0.1')"));
  CHECK(True("string(cidr('192.168.0.0/24')) == '192.168.0.0/24' && string(ip('::1')) == '::1'"));
  CHECK(True("isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0/33')"));
  CHECK(EvalError("ip('nope')") != "");
}

TEST_CASE("kubernetes: named formats", "[cel][k8s]") {
  CHECK(True("!format.dns1123Label().validate('my-name').hasValue()"));
  CHECK(True("format.dns1123Label().validate('My_Name').hasValue()"));
  CHECK(True("format.named('dns1123Subdomain').value().validate('a.b-c').orValue([]).size() == 0"));
  CHECK(True("!format.named('no-such-format').hasValue()"));
  CHECK(True("!format.labelValue().validate('').hasValue() && format.labelValue().validate('-x').hasValue()"));
  CHECK(True("format.qualifiedName().validate('example.com/name').hasValue() == false"));
}

TEST_CASE("k8s: semver library", "[cel][k8s][semver]") {
  CHECK(True("semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3"));
  CHECK(True("isSemver('1.2.3-rc.1+build.5') && !isSemver('1.2') && !isSemver('01.2.3') && !isSemver('1.2.3-')"));
  CHECK(True("isSemver('v1.02', true) && semver('v1.02', true).minor() == 2 && !isSemver('1.2-rc', true)"));
  // Precedence: a release above its pre-releases, numeric identifiers below words, build ignored.
  CHECK(True("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))"));
  CHECK(True("semver('1.0.0-alpha.1').compareTo(semver('1.0.0-alpha.beta')) == -1"));
  CHECK(True("semver('1.0.0-alpha').compareTo(semver('1.0.0-alpha.1')) == -1"));
  CHECK(True("semver('1.2.3+a') == semver('1.2.3+b') && semver('2.0.0').isGreaterThan(semver('1.99.99'))"));
  CHECK(True("quantity('1').isLessThan(quantity('2'))"));  // the shared method names still serve quantities
}
