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
  CHECK(PlainScalarToJson("1e3") == "1000");  // Go's JSON writes an integral float without a point
  CHECK(PlainScalarToJson("99999999999999999999") == "1e+20");  // past uint64: a float
  CHECK(PlainScalarToJson("1.2.3") == "\"1.2.3\"");
  CHECK(PlainScalarToJson("nginx:1.27") == "\"nginx:1.27\"");
  CHECK(PlainScalarToJson(".inf") == "\".inf\"");  // an error in a document; quoted text here
  // go-yaml v2's integer rule: underscores dropped, then Go's base prefixes.
  for (const char* zero : {"0", "00", "0b0", "0_0", "0x_0", "0b_0", "0o0", "0O0", "+0", "-0", "0x0", "-0b0"}) {
    INFO(zero);
    CHECK(PlainScalarToJson(zero) == "0");
  }
  CHECK(PlainScalarToJson("1_000") == "1000");
  CHECK(PlainScalarToJson("-0b101") == "-5");
  CHECK(PlainScalarToJson("0B11") == "3");
  CHECK(PlainScalarToJson("09") == "9");      // not octal: a float, 9
  CHECK(PlainScalarToJson("08.5") == "8.5");
  CHECK(PlainScalarToJson("_1") == "\"_1\"");  // the first character decides: a string
  CHECK(PlainScalarToJson("0x") == "\"0x\"");
  CHECK(PlainScalarToJson("18446744073709551615") == "18446744073709551615");  // uint64
  CHECK(PlainScalarToJson("+18446744073709551615") == "1.8446744073709552e+19");  // a float (no sign for uint64)
  CHECK(PlainScalarToJson("123456789012345678.5") == "123456789012345680");  // shortest digits, as Go writes it
  CHECK(PlainScalarToJson("-0.0") == "-0");
  CHECK(PlainScalarToJson("0.000001") == "0.000001");
  CHECK(PlainScalarToJson("1e21") == "1e+21");
  CHECK(PlainScalarToJson("-9223372036854775808") == "-9223372036854775808");
  CHECK(PlainScalarToJson("y") == "true");
  CHECK(PlainScalarToJson("N") == "false");
  CHECK(PlainScalarToJson("yEs") == "\"yEs\"");
  CHECK(PlainScalarToJson("2001-12-14") == "\"2001-12-14\"");  // timestamps stay text
  CHECK(PlainScalarToJson(".5") == "0.5");
  CHECK(PlainScalarToJson("1.") == "1");
  CHECK(PlainScalarToJson("1e400") == "\"1e400\"");  // out of range: text
  CHECK(PlainScalarToJson("1e-7") == "1e-07");
  CHECK(JsonQuote("a\xff\xc3\xa9") == "\"a\\ufffd\xc3\xa9\"");  // invalid UTF-8 replaced, valid kept
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
  // NUL bytes are refused at their position.
  auto nul = DecodeYamlStream(std::string("a: 1\nb: x\0y\n", 13), "nul.yaml", d);
  REQUIRE(nul.errors.size() == 1);
  CHECK(nul.errors[0].ToString() == "nul.yaml:2:5: control characters are not allowed");
  // So is a document that starts with ','.
  for (const char* text : {",", " ,x", "---\n,", "a: 1\n---\n# c\n,x: 2", "--- ,"}) {
    auto r = DecodeYamlStream(text, "comma.yaml", d);
    INFO(text);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("did not find expected node content") == 0);
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
  CHECK(Json(s, 0) == R"({"kind":"Service","spec":{"selector":{"app":"b"},"type":"ClusterIP"}})");
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

TEST_CASE("yaml: merge keys as Kubernetes applies them (what comes later wins)", "[json][yaml]") {
  Decoder d;
  auto s = DecodeYamlStream(
      "base: &b {privileged: false, x: 1}\n"
      "before: {privileged: true, <<: *b}\n"     // the merged value, written later, wins
      "after: {<<: *b, privileged: true}\n"
      "inline: {<<: {privileged: true}}\n"
      "list: {<<: [{a: 1}, {a: 2, b: 2}]}\n"     // earlier mappings of a list win among themselves
      "quoted: {'<<': *b}\n",                    // a quoted << is an ordinary key
      "merge.yaml", d);
  REQUIRE(s.ok());
  CHECK(Json(s, 0) ==
        R"({"base":{"privileged":false,"x":1},"before":{"privileged":false,"x":1},"after":{"privileged":true,"x":1},)"
        R"("inline":{"privileged":true},"list":{"a":1,"b":2},"quoted":{"<<":{"privileged":false,"x":1}}})");
  CHECK(s.warnings.empty());  // an override by a merge is no repetition
  for (const char* bad : {"a: {<<: 1}", "a: {<<: [1]}", "x: &x [1]\na: {<<: *x}", "a: &a {<<: *a}", "a: *nope",
                          "a: !!int x", "a: !!binary '%%'", "? [1]\n: 2", "~: 1"}) {
    INFO(bad);
    auto r = DecodeYamlStream(bad, "bad.yaml", d);
    CHECK(r.documents.empty());
    CHECK(r.errors.size() == 1);
  }
  auto tags = DecodeYamlStream("a: !!str 1\nb: !!int '0x10'\nc: !!float 1\nd: !foo 12\ne: ! true\nf: !!binary aGk=\n"
                               "1: i\ntrue: t\ny: b\n1.5: f\n",
                               "tags.yaml", d);
  REQUIRE(tags.ok());
  CHECK(Json(tags, 0) ==
        R"({"a":"1","b":16,"c":1,"d":"12","e":"true","f":"hi","1":"i","true":"b","1.5":"f"})");
}

TEST_CASE("yaml: the policy reader refuses invalid streams before yaml-cpp sees them", "[json][yaml]") {
  // yaml-cpp 0.7 loops forever on each of these (a ',' below the indentation of the
  // document's root, found by fuzzing the policy loader): each must come back as an
  // error at once; a regression hangs this test until CTest's timeout.
  for (const char* text : {" b: 2\n,c: 3\n", "  b: 2\n ,c: 3\n", " - b\n,c\n", " b: [2]\n,c\n", " b: 2\n,\n",
                           " a: |\n  x\n,y\n", " a: b\n#c\n,d\n", "--- \n b: 2\n,c\n"}) {
    INFO(text);
    YamlDocuments r = LoadYamlDocuments(text, "p.yaml");
    REQUIRE(r.error.has_value());
    CHECK(r.error->file == "p.yaml");
    CHECK(r.error->position.line >= 2);
    CHECK(r.nodes.empty());
  }
  // The error is libyaml's, where it found it, counted from the chunk's first line.
  YamlDocuments at = LoadYamlDocuments(" b: 2\n,c: 3\n", "p.yaml", 10);
  REQUIRE(at.error.has_value());
  CHECK(at.error->position.line == 11);
  CHECK(at.error->position.column == 1);
  // What libyaml reads is read as before, flow collections and quoted scalars that go
  // on below the root's indentation included.
  for (const char* text : {"a: 1\nb: [1, 2]\n", " a: [1\n,2]\n", " a: \"x\n,y\"\n", "a: 1\n---\nb: 2\n"}) {
    INFO(text);
    YamlDocuments r = LoadYamlDocuments(text, "p.yaml");
    CHECK_FALSE(r.error.has_value());
    CHECK_FALSE(r.nodes.empty());
  }
}
