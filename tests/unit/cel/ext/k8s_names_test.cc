#include "cel/ext/k8s_names.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

namespace clausegate::cel::ext {
namespace {

using Errors = std::vector<std::string>;

const std::string kLabelRegexError =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kSubdomainRegexError =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kDns1035RegexError =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation "
    "is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string kNamePartRegexError =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueRegexError =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

TEST_CASE("Dns1123Label", "[names]") {
  for (std::string_view s : {"a", "0", "my-name", "123-abc", "a--b",
                             "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc"}) {
    INFO(s);
    CHECK(Dns1123Label(s).empty());
  }
  CHECK(Dns1123Label("") == Errors{kLabelRegexError});
  CHECK(Dns1123Label("A") == Errors{kLabelRegexError});
  CHECK(Dns1123Label("-a") == Errors{kLabelRegexError});
  CHECK(Dns1123Label("a-") == Errors{kLabelRegexError});
  CHECK(Dns1123Label("a_b") == Errors{kLabelRegexError});
  CHECK(Dns1123Label("a.b") == Errors{"must not contain dots"});
  CHECK(Dns1123Label(std::string(64, 'a')) == Errors{"must be no more than 63 characters"});
  CHECK(Dns1123Label(std::string(64, 'a') + ".") == Errors{"must be no more than 63 characters", kLabelRegexError});
  CHECK(Dns1123Label("caf\xc3\xa9") == Errors{kLabelRegexError});
  CHECK(Dns1123Label(std::string("a\0b", 3)) == Errors{kLabelRegexError});
}

TEST_CASE("Dns1123Subdomain", "[names]") {
  for (std::string_view s : {"a", "example.com", "a.b.c", "1-2.3-4", "apiextensions.k8s.io"}) {
    INFO(s);
    CHECK(Dns1123Subdomain(s).empty());
  }
  for (std::string_view s : {"", ".", "a.", ".a", "a..b", "a.-b", "A.com", "a_b.com", "a .com"}) {
    INFO(s);
    CHECK(Dns1123Subdomain(s) == Errors{kSubdomainRegexError});
  }
  std::string long_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                          std::string(61, 'd');
  REQUIRE(long_name.size() == 253);
  CHECK(Dns1123Subdomain(long_name).empty());
  CHECK(Dns1123Subdomain(long_name + "d") == Errors{"must be no more than 253 characters"});
  CHECK(Dns1123Subdomain(std::string(100000, 'a')).size() == 1);
}

TEST_CASE("Dns1035Label", "[names]") {
  CHECK(Dns1035Label("my-name").empty());
  CHECK(Dns1035Label("abc-123").empty());
  CHECK(Dns1035Label("1a") == Errors{kDns1035RegexError});
  CHECK(Dns1035Label("a.b") == Errors{kDns1035RegexError});
  CHECK(Dns1035Label("") == Errors{kDns1035RegexError});
  CHECK(Dns1035Label(std::string(64, 'a')) == Errors{"must be no more than 63 characters"});
}

TEST_CASE("Name prefixes allow a trailing dash", "[names]") {
  CHECK(Dns1123LabelPrefix("my-label-prefix-").empty());
  CHECK(Dns1123LabelPrefix("a-").empty());
  CHECK(Dns1123LabelPrefix("-") == Errors{kLabelRegexError});
  CHECK(Dns1123LabelPrefix("a.-").empty());  // Kubernetes masks the last two bytes
  CHECK(Dns1123LabelPrefix("my-label").empty());
  CHECK(Dns1123SubdomainPrefix("mysubdomain.prefix.-").empty());
  CHECK(Dns1123SubdomainPrefix("my.prefix-").empty());
  CHECK(Dns1123SubdomainPrefix("My.prefix-") == Errors{kSubdomainRegexError});
  CHECK(Dns1035LabelPrefix("my-label-prefix-").empty());
  CHECK(Dns1035LabelPrefix("1-").empty());  // masked to "a"
  CHECK(Dns1035LabelPrefix("12-") == Errors{kDns1035RegexError});
}

TEST_CASE("QualifiedName", "[names]") {
  for (std::string_view s : {"MyName", "my.name", "123-abc", "a", "example.com/MyName", "apiextensions.k8s.io/v1beta1",
                             "a_b", "A-b.C"}) {
    INFO(s);
    CHECK(QualifiedName(s).empty());
  }
  CHECK(QualifiedName("") == Errors{"name part must be non-empty", kNamePartRegexError});
  CHECK(QualifiedName("a/") == Errors{"name part must be non-empty", kNamePartRegexError});
  CHECK(QualifiedName("/b") == Errors{"prefix part must be non-empty"});
  CHECK(QualifiedName("-a") == Errors{kNamePartRegexError});
  CHECK(QualifiedName("A.com/b") == Errors{"prefix part " + kSubdomainRegexError});
  CHECK(QualifiedName(std::string(64, 'a')) == Errors{"name part must be no more than 63 bytes"});
  CHECK(QualifiedName(std::string(254, 'a') + "/a") == Errors{"prefix part must be no more than 253 bytes"});
  CHECK(QualifiedName("a/b/c") ==
        Errors{"a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
               "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
               "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and "
               "'/' (e.g. 'example.com/MyName')"});
}

TEST_CASE("LabelValue", "[names]") {
  for (std::string_view s : {"", "MyValue", "my_value", "12345", "a", "a.b-c_d"}) {
    INFO(s);
    CHECK(LabelValue(s).empty());
  }
  CHECK(LabelValue("-") == Errors{kLabelValueRegexError});
  CHECK(LabelValue("a b") == Errors{kLabelValueRegexError});
  CHECK(LabelValue("a/b") == Errors{kLabelValueRegexError});
  CHECK(LabelValue(std::string(64, 'a')) == Errors{"must be no more than 63 bytes"});
  CHECK(LabelValue(std::string(63, 'a')).empty());
}

TEST_CASE("Uri, Uuid, Byte, Date and DateTime formats", "[names]") {
  CHECK(Uri("http://example.com").empty());
  CHECK(Uri("/absolute").empty());
  CHECK(Uri("../x") == Errors{"parse \"../x\": invalid URI for request"});

  CHECK(Uuid("123e4567-e89b-12d3-a456-426614174000").empty());
  CHECK(Uuid("123E4567-E89B-12D3-A456-426614174000").empty());
  CHECK(Uuid("123e4567e89b12d3a456426614174000").empty());  // dashes are optional
  CHECK(Uuid("not-a-uuid") == Errors{"does not match the UUID format"});
  CHECK_FALSE(Uuid("123e4567-e89b-12d3-a456-42661417400").empty());
  CHECK_FALSE(Uuid("123e4567-e89b-12d3-a456-4266141740000").empty());
  CHECK_FALSE(Uuid("123e4567--e89b-12d3-a456-426614174000").empty());
  CHECK_FALSE(Uuid("g23e4567-e89b-12d3-a456-426614174000").empty());
  CHECK_FALSE(Uuid("123e4567-e89b-12d3-a456-426614174000\n").empty());

  CHECK(Byte("aGVsbG8=").empty());
  CHECK(Byte("aGVsbA==").empty());
  CHECK(Byte("aGVs").empty());
  CHECK(Byte("a+/=").empty());
  CHECK(Byte("ZWxpemFiZXRocG9zZXk") == Errors{"invalid base64"});  // missing padding
  CHECK_FALSE(Byte("").empty());
  CHECK_FALSE(Byte("====").empty());
  CHECK_FALSE(Byte("a===").empty());
  CHECK_FALSE(Byte("aGV=bG8=").empty());
  CHECK_FALSE(Byte("aGVsbG8-").empty());

  CHECK(Date("2021-01-01").empty());
  CHECK(Date("2024-02-29").empty());
  CHECK(Date("2000-02-29").empty());
  CHECK(Date("0000-12-31").empty());
  CHECK(Date("1900-02-29") == Errors{"invalid date"});
  CHECK_FALSE(Date("2023-02-29").empty());
  CHECK_FALSE(Date("2021-04-31").empty());
  CHECK_FALSE(Date("2021-13-01").empty());
  CHECK_FALSE(Date("2021-00-10").empty());
  CHECK_FALSE(Date("2021-01-00").empty());
  CHECK_FALSE(Date("2021-1-01").empty());
  CHECK_FALSE(Date("21-01-01").empty());
  CHECK_FALSE(Date("2021-01-01T00:00:00Z").empty());
  CHECK_FALSE(Date("").empty());

  CHECK(DateTime("2021-01-01T00:00:00Z").empty());
  CHECK(DateTime("2021-01-01t23:59:59z").empty());
  CHECK(DateTime("2021-01-01T00:00:00.123+01:00").empty());
  CHECK(DateTime("2021-01-01T00:00:00,5-23:59").empty());  // kube-openapi lets any byte start the fraction
  CHECK(DateTime("2021-01-01T00:00:00ZTrailing").empty());   // and ignores text after a second 'T'
  CHECK(DateTime("2021-01-01T00:00:00") == Errors{"invalid datetime"});
  CHECK_FALSE(DateTime("2021-01-01T24:00:00Z").empty());
  CHECK_FALSE(DateTime("2021-01-01T00:60:00Z").empty());
  CHECK_FALSE(DateTime("2021-02-30T00:00:00Z").empty());
  CHECK_FALSE(DateTime("2021-01-01 00:00:00Z").empty());
  CHECK_FALSE(DateTime("2021-01-01T00:00:00+1:00").empty());
  CHECK_FALSE(DateTime("2021-01-01T00:00:00.Z").empty());
  CHECK_FALSE(DateTime("2021-01-01T00:00:00\n5Z").empty());
  CHECK_FALSE(DateTime("T").empty());
}

TEST_CASE("FindNameValidator covers the Kubernetes format library", "[names]") {
  const std::set<std::string> expected = {"dns1123Label",  "dns1123Subdomain",       "dns1035Label",
                                          "qualifiedName", "dns1123LabelPrefix",     "dns1123SubdomainPrefix",
                                          "dns1035LabelPrefix", "labelValue",        "uri",
                                          "uuid",          "byte",                   "date",
                                          "datetime"};
  std::set<std::string> names;
  for (const NameFormat& f : NameFormats()) {
    names.insert(std::string(f.name));
    const NameValidator* v = FindNameValidator(f.name);
    REQUIRE(v != nullptr);
    CHECK(*v == f.validate);
    CHECK_FALSE(f.display_name.empty());
  }
  CHECK(names == expected);
  CHECK(NameFormats().size() == expected.size());
  CHECK((*FindNameValidator("dns1123Label"))("my-name").empty());
  CHECK_FALSE((*FindNameValidator("dns1123Label"))("My_Name").empty());
  CHECK(FindNameValidator("k8sShortName") == nullptr);
  CHECK(FindNameValidator("DNS1123Label") == nullptr);
  CHECK(FindNameValidator("") == nullptr);
}

}  // namespace
}  // namespace clausegate::cel::ext
