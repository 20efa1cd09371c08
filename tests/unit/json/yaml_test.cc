#include <catch2/catch.hpp>

#include <sstream>

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
  REQUIRE(s.ok());
  REQUIRE(s.documents.size() == 2);
  CHECK(Json(s, 0) == R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web","replicas":"3"}}})");
  CHECK(s.documents[0].position.line == 2);
  CHECK(Json(s, 1) == R"({"kind":"List","items":[{"kind":"Service","port":80,"enabled":true}]})");
  CHECK(s.documents[1].position.line == 11);
}

TEST_CASE("yaml: problems are issues with positions", "[json][yaml]") {
  Decoder d;
  auto bad = DecodeYamlStream("a: [1, 2\nb: 3\n", "bad.yaml", d);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].file == "bad.yaml");
  CHECK(bad.errors[0].position.line >= 1);
  // Alias expansion is bounded (a "billion laughs" document).
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    prev = c;
  }
  auto boom = DecodeYamlStream(bomb, "bomb.yaml", d);
  REQUIRE(boom.errors.size() == 1);
  CHECK(boom.errors[0].message.find("too large") != std::string::npos);
  // NUL bytes are refused before the YAML parser sees them (it would loop).
  auto nul = DecodeYamlStream(std::string("a: 1\nb: x\0y\n", 13), "nul.yaml", d);
  REQUIRE(nul.errors.size() == 1);
  CHECK(nul.errors[0].ToString() == "nul.yaml:2:5: YAML may not contain NUL bytes");
  // So is a document that starts with ',' (the YAML parser would loop on it too).
  for (const char* text : {",", " ,x", "---\n,", "a: 1\n---\n# c\n,x: 2", "--- ,"}) {
    auto r = DecodeYamlStream(text, "comma.yaml", d);
    INFO(text);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message == "a YAML document cannot start with ','");
  }
  CHECK(DecodeYamlStream("a: [1, 2]\nb: {x: 1, y: 2}\n", "ok.yaml", d).ok());
  // Deep nesting is refused.
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "[";
  for (int i = 0; i < 300; ++i) deep += "]";
  auto nested = DecodeYamlStream(deep, "deep.yaml", d);
  REQUIRE_FALSE(nested.ok());
}

TEST_CASE("yaml: a document that cannot be read does not stop the others", "[json][yaml]") {
  Decoder d;
  auto s = DecodeYamlStream("kind: A\n---\nkind: [B\n---\nkind: C\n---\n\tkind: D\n---\nkind: E\n", "in.yaml", d);
  REQUIRE(s.documents.size() == 3);
  CHECK(Json(s, 0) == R"({"kind":"A"})");
  CHECK(Json(s, 1) == R"({"kind":"C"})");
  CHECK(Json(s, 2) == R"({"kind":"E"})");
  CHECK(s.documents[2].position.line == 9);
  REQUIRE(s.errors.size() == 2);
  CHECK(s.errors[0].position.line == 4);  // the flow sequence that never ends, seen at the next marker
  CHECK(s.errors[1].position.line == 7);
}

TEST_CASE("yaml: a key given twice keeps its last value, with a warning naming both lines", "[json][yaml]") {
  Decoder d;
  auto s = DecodeYamlStream("kind: Service\nspec:\n  selector: {app: a}\n  type: ClusterIP\n  selector:\n    app: b\n", "dup.yaml", d);
  REQUIRE(s.ok());
  REQUIRE(s.documents.size() == 1);
  CHECK(Json(s, 0) == R"({"kind":"Service","spec":{"type":"ClusterIP","selector":{"app":"b"}}})");
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].ToString() ==
        "dup.yaml:5:3: mapping key \"selector\" is given again (earlier at line 3); the last value is used, as in the cluster");
  // Three times: each repetition names the one before; positions count from the stream's start.
  auto three = DecodeYamlStream("kind: A\n---\na: 1\na: 2\na: ~\n", "three.yaml", d, {.drop_null_fields = true});
  REQUIRE(three.documents.size() == 2);
  CHECK(Json(three, 1) == "{}");
  REQUIRE(three.warnings.size() == 2);
  CHECK(three.warnings[0].ToString().starts_with("three.yaml:4:1: mapping key \"a\" is given again (earlier at line 3)"));
  CHECK(three.warnings[1].ToString().starts_with("three.yaml:5:1: mapping key \"a\" is given again (earlier at line 4)"));
  // Remarks are bounded per document.
  std::string many = "m:\n";
  for (int i = 0; i < 1000; ++i) many += "  k: " + std::to_string(i) + "\n";
  auto bounded = DecodeYamlStream(many, "many.yaml", d);
  REQUIRE(bounded.ok());
  CHECK(Json(bounded, 0) == R"({"m":{"k":999}})");
  CHECK(bounded.warnings.size() == 21);
  CHECK(bounded.warnings.back().message == "979 more remarks on this document");
}

TEST_CASE("yaml: the splitter holds one document at a time, bounded", "[json][yaml]") {
  std::string text = "a: 1\n---\n";
  text += "big: \"" + std::string(200000, 'x') + "\"\n";
  text += "--- # a marker may carry a comment\nc: 3\n----: 4\n---";
  std::istringstream in(text);
  YamlDocumentSplitter splitter(in, 100000);
  std::vector<YamlChunk> chunks;
  YamlChunk c;
  while (splitter.Next(&c)) chunks.push_back(c);
  REQUIRE(chunks.size() == 4);
  CHECK(chunks[0].text == "a: 1\n");
  CHECK(chunks[1].too_large);
  CHECK(chunks[1].text.empty());
  CHECK(chunks[1].bytes == 4 + 6 + 200000 + 2);
  CHECK(chunks[1].first_line == 2);
  CHECK(chunks[2].text == "--- # a marker may carry a comment\nc: 3\n----: 4\n");  // "----" is no marker
  CHECK(chunks[2].first_line == 4);
  CHECK(chunks[3].text == "---");
  Decoder d;
  YamlStream s;
  for (const auto& chunk : chunks) DecodeYamlChunk(chunk, "big.yaml", d, {}, &s);
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].ToString() == "big.yaml:2:1: document of 200012 bytes is over the 100000-byte bound for one YAML document; it was not read");
  CHECK(s.documents.size() == 2);
}

TEST_CASE("yaml: null fields can be left out, as the API server decodes them", "[json][yaml]") {
  Decoder d;
  const char* text =
      "spec:\n  securityContext:\n  hostUsers: ~\n  os: null\n  quoted: 'null'\n"
      "  list: [null, 1]\n  containers: [{name: a, env: }]\n";
  auto kept = DecodeYamlStream(text, "in.yaml", d);
  REQUIRE(kept.ok());
  CHECK(Json(kept, 0) ==
        R"({"spec":{"securityContext":null,"hostUsers":null,"os":null,"quoted":"null","list":[null,1],"containers":[{"name":"a","env":null}]}})");
  YamlOptions drop;
  drop.drop_null_fields = true;
  auto dropped = DecodeYamlStream(text, "in.yaml", d, drop);
  REQUIRE(dropped.ok());
  // List items stay: only mapping entries are fields.
  CHECK(Json(dropped, 0) == R"({"spec":{"quoted":"null","list":[null,1],"containers":[{"name":"a"}]}})");
}
