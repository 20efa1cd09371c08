#include <catch2/catch.hpp>

#include "json/yaml.h"

using namespace clausegate::json;

namespace {
std::string Json(const YamlStream& s, size_t i) { return simdjson::minify((*s.documents[i].doc).root()); }
}  // namespace

TEST_CASE("yaml: scalars get Kubernetes typing", "[json][yaml]") {
  CHECK(PlainScalarToJson("") == "null");
  CHECK(PlainScalarToJson("~") == "null");
  CHECK(PlainScalarToJson("true") == "true");
  CHECK(PlainScalarToJson("yes") == "true");
  CHECK(PlainScalarToJson("Off") == "false");
  CHECK(PlainScalarToJson("42") == "42");
  CHECK(PlainScalarToJson("-7") == "-7");
  CHECK(PlainScalarToJson("0x1F") == "31");
  CHECK(PlainScalarToJson("0755") == "493");
  CHECK(PlainScalarToJson("1.5") == "1.5");
  CHECK(PlainScalarToJson("1e3") == "1000.0");
  CHECK(PlainScalarToJson("99999999999999999999") == "\"99999999999999999999\"");
  CHECK(PlainScalarToJson("1.2.3") == "\"1.2.3\"");
  CHECK(PlainScalarToJson("nginx:1.27") == "\"nginx:1.27\"");
  CHECK(PlainScalarToJson(".inf") == "\".inf\"");
  CHECK(JsonQuote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST_CASE("yaml: multi-document streams keep positions", "[json][yaml]") {
  Decoder d;
  auto s = DecodeYamlStream(
      "# leading comment\n"
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web, replicas: '3'}\n"
      "---\n"
      "---\n"
      "# only a comment\n"
      "---\n"
      "kind: List\nitems:\n- {kind: Service, port: 80, enabled: yes}\n",
      "in.yaml", d);
  REQUIRE_FALSE(s.error);
  REQUIRE(s.documents.size() == 2);
  CHECK(Json(s, 0) == R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web","replicas":"3"}}})");
  CHECK(s.documents[0].position.line == 2);
  CHECK(Json(s, 1) == R"({"kind":"List","items":[{"kind":"Service","port":80,"enabled":true}]})");
  CHECK(s.documents[1].position.line == 11);
}

TEST_CASE("yaml: problems are issues with positions", "[json][yaml]") {
  Decoder d;
  auto bad = DecodeYamlStream("a: [1, 2\nb: 3\n", "bad.yaml", d);
  REQUIRE(bad.error);
  CHECK(bad.error->file == "bad.yaml");
  CHECK(bad.error->position.line >= 1);
  auto dup = DecodeYamlStream("a: 1\nb: 2\na: 3\n", "dup.yaml", d);
  REQUIRE(dup.error);
  CHECK(dup.error->ToString() == "dup.yaml:3:1: mapping key \"a\" already defined");
  // Alias expansion is bounded (a "billion laughs" document).
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    prev = c;
  }
  auto boom = DecodeYamlStream(bomb, "bomb.yaml", d);
  REQUIRE(boom.error);
  CHECK(boom.error->message.find("too large") != std::string::npos);
  // NUL bytes are refused before the YAML parser sees them (it would loop).
  auto nul = DecodeYamlStream(std::string("a: 1\nb: x\0y\n", 13), "nul.yaml", d);
  REQUIRE(nul.error);
  CHECK(nul.error->ToString() == "nul.yaml:2:5: YAML may not contain NUL bytes");
  // So is a document that starts with ',' (the YAML parser would loop on it too).
  for (const char* text : {",", " ,x", "---\n,", "a: 1\n---\n# c\n,x: 2", "--- ,"}) {
    auto r = DecodeYamlStream(text, "comma.yaml", d);
    INFO(text);
    REQUIRE(r.error);
    CHECK(r.error->message == "a YAML document cannot start with ','");
  }
  CHECK_FALSE(DecodeYamlStream("a: [1, 2]\nb: {x: 1, y: 2}\n", "ok.yaml", d).error);
  // Deep nesting is refused.
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "[";
  for (int i = 0; i < 300; ++i) deep += "]";
  auto nested = DecodeYamlStream(deep, "deep.yaml", d);
  REQUIRE(nested.error);
}

TEST_CASE("yaml: null fields can be left out, as the API server decodes them", "[json][yaml]") {
  Decoder d;
  const char* text =
      "spec:\n  securityContext:\n  hostUsers: ~\n  os: null\n  quoted: 'null'\n"
      "  list: [null, 1]\n  containers: [{name: a, env: }]\n";
  auto kept = DecodeYamlStream(text, "in.yaml", d);
  REQUIRE_FALSE(kept.error);
  CHECK(Json(kept, 0) ==
        R"({"spec":{"securityContext":null,"hostUsers":null,"os":null,"quoted":"null","list":[null,1],"containers":[{"name":"a","env":null}]}})");
  YamlOptions drop;
  drop.drop_null_fields = true;
  auto dropped = DecodeYamlStream(text, "in.yaml", d, {}, drop);
  REQUIRE_FALSE(dropped.error);
  // List items stay: only mapping entries are fields.
  CHECK(Json(dropped, 0) == R"({"spec":{"quoted":"null","list":[null,1],"containers":[{"name":"a"}]}})");
}
