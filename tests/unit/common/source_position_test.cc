#include <catch2/catch.hpp>

#include "common/source_position.h"
#include "common/status.h"

using namespace clausegate;

TEST_CASE("positions count lines and code points", "[common]") {
  CHECK(PositionAt("abc", 0).line == 1);
  CHECK(PositionAt("abc", 2).column == 3);
  auto p = PositionAt("ab\ncd", 4);
  CHECK(p.line == 2);
  CHECK(p.column == 2);
  CHECK(PositionAt("é x", 3).column == 3);  // é is two bytes, one column
  CHECK(PositionAt("ab", 99).column == 3);  // clamped
}

TEST_CASE("issues render as file:line:col: message", "[common]") {
  CHECK((Issue{"p.yaml", {3, 7}, "bad"}).ToString() == "p.yaml:3:7: bad");
  CHECK((Issue{"p.yaml", {}, "bad"}).ToString() == "p.yaml: bad");
  CHECK((Issue{"", {}, "bad"}).ToString() == "bad");
}

TEST_CASE("results carry a value or a status", "[common]") {
  Result<int> ok = 3;
  CHECK(ok.ok());
  CHECK(*ok == 3);
  Result<int> bad = InvalidArgument("nope");
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().message() == "nope");
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
}
