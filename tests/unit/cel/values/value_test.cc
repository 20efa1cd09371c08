#include <catch2/catch.hpp>

#include <cmath>

#include "cel/tagged.h"
#include "cel/values/value.h"
#include "json/document.h"

using namespace clausegate::cel;

TEST_CASE("values: scalars and their types", "[cel][value]") {
  CHECK(Value::Int(-3).int_value() == -3);
  CHECK(Value::Uint(3).uint_value() == 3u);
  CHECK(Value::Double(1.5).double_value() == 1.5);
  CHECK(Value::Bool(true).bool_value());
  CHECK(Value::Null().is_null());
  CHECK(Value::String("héllo").string_value() == "héllo");
  CHECK(Value::Bytes(std::string("\0\1", 2)).string_value().size() == 2);
  CHECK(Value::Int(1).TypeOf().type_name() == "int");
  CHECK(Value::Uint(1).TypeOf().type_name() == "uint");
  CHECK(Value::Double(1).TypeOf().type_name() == "double");
  CHECK(Value::Null().TypeOf().type_name() == "null_type");
  CHECK(Value::Bytes("").TypeOf().type_name() == "bytes");
  CHECK(Value::List({}).TypeOf().type_name() == "list");
  CHECK(Value::Map({}).TypeOf().type_name() == "map");
  CHECK(Value::Timestamp({0, 0}).TypeOf().type_name() == "google.protobuf.Timestamp");
  CHECK(Value::Duration(0).TypeOf().type_name() == "google.protobuf.Duration");
  CHECK(Value::OptionalNone().TypeOf().type_name() == "optional_type");
  CHECK(Value::Type("int").TypeOf().type_name() == "type");
}

TEST_CASE("values: a heap string reads the same wherever its value is moved or copied", "[cel][value]") {
  std::vector<Value> kept;
  {
    std::string long_text(100, 'x'), short_text = "ab";
    kept.push_back(Value::String(long_text));
    kept.push_back(Value::String(short_text));  // within std::string's own buffer
    kept.push_back(Value::Joined(short_text, long_text));
    kept.push_back(Value::Joined("", ""));
    kept.push_back(Value::Joined(std::string_view("a\0b", 3), "", Kind::kBytes));
    kept.push_back(Value::Joined("", short_text));
  }  // the texts they were made from are gone
  std::vector<Value> moved;
  for (auto& v : kept) moved.push_back(std::move(v));
  std::vector<Value> copies = moved;
  moved.clear();  // the copies share the blocks alone now
  CHECK(copies[0].string_value() == std::string(100, 'x'));
  CHECK(copies[1].string_value() == "ab");
  CHECK(copies[2].string_value() == "ab" + std::string(100, 'x'));
  CHECK(copies[3].kind() == Kind::kString);
  CHECK(copies[3].string_value().empty());
  CHECK(copies[4].kind() == Kind::kBytes);
  CHECK(copies[4].string_value() == std::string_view("a\0b", 3));
  CHECK(copies[5].string_value() == "ab");
  CHECK(ValuesEqual(copies[2], Value::String("ab" + std::string(100, 'x'))));
  Value opt = Value::Optional(copies[2]);
  CHECK(opt.optional_value().string_value() == copies[2].string_value());
}

TEST_CASE("values: heterogeneous numeric equality and ordering", "[cel][value]") {
  CHECK(ValuesEqual(Value::Int(1), Value::Uint(1)));
  CHECK(ValuesEqual(Value::Int(1), Value::Double(1.0)));
  CHECK_FALSE(ValuesEqual(Value::Int(1), Value::Double(1.5)));
  CHECK_FALSE(ValuesEqual(Value::Int(-1), Value::Uint(UINT64_MAX)));
  CHECK_FALSE(ValuesEqual(Value::Double(NAN), Value::Double(NAN)));
  CHECK_FALSE(ValuesEqual(Value::Int(1), Value::String("1")));  // different kinds: not equal, no error
  CHECK(CompareValues(Value::Int(-1), Value::Uint(0)) == Order::kLess);
  CHECK(CompareValues(Value::Uint(2), Value::Double(1.5)) == Order::kGreater);
  CHECK(CompareValues(Value::Double(NAN), Value::Int(1)) == Order::kUnordered);
  CHECK(CompareValues(Value::String("a"), Value::String("b")) == Order::kLess);
  CHECK(CompareValues(Value::Bool(false), Value::Bool(true)) == Order::kLess);
  CHECK(CompareValues(Value::String("a"), Value::Int(1)) == Order::kNoOverload);
  CHECK(CompareValues(Value::List({}), Value::List({})) == Order::kNoOverload);
}

TEST_CASE("values: lists and maps", "[cel][value]") {
  Value l = Value::List({Value::Int(1), Value::String("a")});
  CHECK(l.list_size() == 2);
  CHECK(l.list_at(1).string_value() == "a");
  CHECK(ValuesEqual(l, Value::List({Value::Uint(1), Value::String("a")})));
  CHECK_FALSE(ValuesEqual(l, Value::List({Value::Int(1)})));

  Value m = Value::Map({{Value::String("k"), Value::Int(1)}, {Value::Int(2), Value::Bool(true)}});
  CHECK(m.map_size() == 2);
  CHECK(m.MapFindString("k")->int_value() == 1);
  CHECK(m.MapFind(Value::Uint(2))->bool_value());    // numeric keys compare across kinds
  CHECK(m.MapFind(Value::Double(2.0))->bool_value());
  CHECK_FALSE(m.MapFind(Value::Double(2.5)).has_value());
  CHECK_FALSE(m.MapFindString("missing").has_value());

  CHECK(Value::Map({{Value::Int(1), Value::Int(1)}, {Value::Uint(1), Value::Int(2)}}).is_error());
  CHECK(Value::Map({{Value::Double(1.0), Value::Int(1)}}).is_error());
  CHECK(Value::Map({{Value::Null(), Value::Int(1)}}).is_error());
}

TEST_CASE("values: optionals keep their value", "[cel][value]") {
  Value o = Value::Optional(Value::String("x"));
  CHECK(o.kind() == Kind::kOptional);
  CHECK(o.optional_has_value());
  CHECK(o.optional_value().kind() == Kind::kString);
  CHECK(o.optional_value().string_value() == "x");
  Value nested = Value::Optional(Value::OptionalNone());
  CHECK(nested.optional_has_value());
  CHECK(nested.optional_value().kind() == Kind::kOptional);
  CHECK_FALSE(nested.optional_value().optional_has_value());
  CHECK(ValuesEqual(Value::Optional(Value::Int(1)), Value::Optional(Value::Uint(1))));
  CHECK_FALSE(ValuesEqual(Value::Optional(Value::Int(1)), Value::OptionalNone()));
}

TEST_CASE("values: JSON documents are read in place", "[cel][value]") {
  clausegate::json::Decoder decoder;
  auto doc = decoder.Decode(R"({"a": [1, 2.5, "s", true, null, {"b": 18446744073709551615}], "n": -4})");
  REQUIRE(doc.ok());
  Value root = Value::Json((*doc)->root());
  CHECK(root.kind() == Kind::kMap);
  CHECK(root.map_size() == 2);
  Value a = *root.MapFindString("a");
  CHECK(a.kind() == Kind::kList);
  CHECK(a.list_size() == 6);
  CHECK(a.list_at(0).kind() == Kind::kInt);
  CHECK(a.list_at(1).kind() == Kind::kDouble);
  CHECK(a.list_at(2).kind() == Kind::kString);
  CHECK(a.list_at(3).kind() == Kind::kBool);
  CHECK(a.list_at(4).kind() == Kind::kNull);
  CHECK(a.list_at(5).MapFindString("b")->kind() == Kind::kDouble);  // past int64: a float, as Kubernetes decodes it
  CHECK(root.MapFindString("n")->int_value() == -4);
  CHECK_FALSE(root.MapFind(Value::Int(1)).has_value());  // JSON objects have string keys only
  // A JSON value equals the same value built in CEL.
  CHECK(ValuesEqual(*root.MapFindString("n"), Value::Double(-4.0)));
  std::vector<std::string> keys;
  root.ForEachEntry([&](const Value& k, const Value&) {
    keys.emplace_back(k.string_value());
    return true;
  });
  CHECK(keys == std::vector<std::string>{"a", "n"});
}

TEST_CASE("values: printing", "[cel][value]") {
  CHECK(FormatDouble(123.456) == "123.456");
  CHECK(FormatDouble(-0.0045) == "-0.0045");
  CHECK(FormatDouble(1e21) == "1e+21");
  CHECK(FormatDouble(9.223372036854776e18) == "9.223372036854776e+18");  // Go's %g
  CHECK(FormatDouble(1e6) == "1e+06");
  CHECK(FormatDouble(123456.0) == "123456");
  CHECK(ValueToString(Value::Bytes("\xff")) == "\xEF\xBF\xBD");  // invalid UTF-8 printed as U+FFFD
  CHECK(FormatDouble(1e-5) == "1e-05");
  CHECK(FormatDouble(NAN) == "NaN");
  CHECK(FormatDouble(-INFINITY) == "-Infinity");
  CHECK(ValueToString(Value::List({Value::String("a"), Value::Double(3.14), Value::Null()})) == "[a, 3.14, null]");
  CHECK(ValueToString(Value::Map({{Value::String("b"), Value::Int(2)}, {Value::String("a"), Value::Int(1)}})) ==
        "{a: 1, b: 2}");
}

TEST_CASE("values: tagged form round trip", "[cel][value]") {
  auto j = nlohmann::json::parse(R"({"map": [[{"string": "k"}, {"list": [{"uint": "18446744073709551615"},
      {"double": "NaN"}, {"bytes_b64": "AP8="}, {"duration": {"seconds": "5", "nanos": 1}},
      {"timestamp": {"seconds": "1234567890"}}, {"type": "int"}, {"null": null}]}]]})");
  auto v = FromTagged(j);
  REQUIRE(v.ok());
  auto back = FromTagged(ToTagged(*v));
  REQUIRE(back.ok());
  CHECK(IdenticalValues(*v, *back));
  CHECK_FALSE(FromTagged(nlohmann::json::parse(R"({"int": "x"})")).ok());
  CHECK_FALSE(FromTagged(nlohmann::json::parse(R"({"what": 1})")).ok());
  CHECK(ToPlainJson(Value::List({Value::Int(1), Value::Bytes("ab")})).dump() == R"([1,"YWI="])");
}

namespace {

// Walks `indexed` and `plain` (the same document with and without its key index)
// together: every value read from an indexed one is indexed too, and every field
// is found alike.
void SameReading(const Value& indexed, const Value& plain, size_t* fields) {
  REQUIRE(indexed.kind() == plain.kind());
  if (indexed.kind() == Kind::kList) {
    CHECK(indexed.json_identity() == plain.json_identity());
    REQUIRE(indexed.list_size() == plain.list_size());
    for (size_t i = 0; i < indexed.list_size(); ++i) SameReading(indexed.list_at(i), plain.list_at(i), fields);
    std::vector<Value> items;
    indexed.ForEachElement([&](const Value& v) {
      items.push_back(v);
      return true;
    });
    for (size_t i = 0; i < items.size(); ++i) SameReading(items[i], plain.list_at(i), fields);
    return;
  }
  if (indexed.kind() != Kind::kMap) {
    CHECK(ValuesEqual(indexed, plain));
    return;
  }
  CHECK(indexed.json_indexed());
  CHECK_FALSE(plain.json_indexed());
  CHECK(indexed.json_identity() == plain.json_identity());
  indexed.ForEachEntry([&](const Value& k, const Value& v) {
    auto a = indexed.MapFindString(k.string_value());
    auto b = plain.MapFindString(k.string_value());
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(a->json_identity() == b->json_identity());
    SameReading(*a, *b, fields);
    SameReading(v, *b, fields);
    ++*fields;
    return true;
  });
  for (std::string_view absent : {"", "absent", "nameX", "securityContexT"}) {
    CHECK(indexed.MapFindString(absent).has_value() == plain.MapFindString(absent).has_value());
  }
}

}  // namespace

TEST_CASE("values: a document's key index finds what a scan finds, in every value read from it", "[cel][value]") {
  clausegate::json::Decoder d;
  std::string text = R"({"metadata": {"name": "web", "labels": {"app": "web", "": "empty"}},
    "spec": {"containers": [{"name": "a", "securityContext": {"privileged": false, "runAsUser": 1000}},
                            {"name": "b", "env": [{"name": "X", "value": "1"}, {"name": "Y"}]}],
             "n": [1, -2, 2.5, 18446744073709551615, true, null, "s", [], {}]}})";
  // Wide objects, and keys of one length with shared prefixes.
  text.pop_back();
  text += R"(, "wide": {)";
  for (int i = 0; i < 300; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i % 10) + std::to_string(i) + "\": {\"v\": " + std::to_string(i) + "}";
  text += "}}";
  auto doc = d.Decode(text);
  REQUIRE(doc.ok());
  REQUIRE((*doc)->keys().usable());
  size_t fields = 0;
  SameReading(Value::Json(**doc), Value::Json((*doc)->root()), &fields);
  CHECK(fields > 600);
  // Optionals keep the index of what they wrap.
  Value spec = *Value::Json(**doc).MapFindString("spec");
  CHECK(Value::Optional(spec).optional_value().json_indexed());
}
