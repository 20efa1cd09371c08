#include "common/time_util.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace clausegate {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;

// Seconds since the epoch of an RFC 3339 string the test knows to be valid.
int64_t At(std::string_view rfc3339) {
  auto ts = ParseTimestamp(rfc3339);
  REQUIRE(ts.has_value());
  return ts->seconds;
}

// Builds TZif data. The 32-bit block gets `v1_types`/`v1_transitions` so a
// test can tell which block was read; version '\0' writes only that block.
struct TzifSpec {
  char version = '2';
  std::vector<std::pair<int32_t, bool>> types;  // utoff, isdst
  std::vector<std::pair<int64_t, uint8_t>> transitions;
  std::vector<std::pair<int32_t, bool>> v1_types;
  std::vector<std::pair<int64_t, uint8_t>> v1_transitions;
  std::string footer;
};

void Put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void Put64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutBlock(std::string& out, char version, const std::vector<std::pair<int32_t, bool>>& types,
              const std::vector<std::pair<int64_t, uint8_t>>& transitions, bool wide) {
  out += "TZif";
  out.push_back(version);
  out.append(15, '\0');
  Put32(out, 0);  // isutcnt
  Put32(out, 0);  // isstdcnt
  Put32(out, 0);  // leapcnt
  Put32(out, static_cast<uint32_t>(transitions.size()));
  Put32(out, static_cast<uint32_t>(types.size()));
  Put32(out, 4);  // charcnt: "ABC\0"
  for (const auto& t : transitions) {
    if (wide) {
      Put64(out, static_cast<uint64_t>(t.first));
    } else {
      Put32(out, static_cast<uint32_t>(static_cast<int32_t>(t.first)));
    }
  }
  for (const auto& t : transitions) out.push_back(static_cast<char>(t.second));
  for (const auto& ty : types) {
    Put32(out, static_cast<uint32_t>(ty.first));
    out.push_back(ty.second ? 1 : 0);
    out.push_back(0);  // abbreviation index
  }
  out.append("ABC\0", 4);
}

std::string BuildTzif(const TzifSpec& spec) {
  std::string out;
  if (spec.version == '\0') {
    PutBlock(out, '\0', spec.types, spec.transitions, false);
    return out;
  }
  PutBlock(out, spec.version, spec.v1_types.empty() ? spec.types : spec.v1_types, spec.v1_transitions, false);
  PutBlock(out, spec.version, spec.types, spec.transitions, true);
  out += "\n" + spec.footer + "\n";
  return out;
}

// A directory of zone files that removes itself.
class TempZoneDir {
 public:
  TempZoneDir()
      : path_(std::filesystem::temp_directory_path() / ("clausegate_time_util_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempZoneDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  void Write(const std::string& name, const std::string& data) const {
    auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << data;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST_CASE("ParseTimestamp and FormatTimestamp round-trip", "[cel][time]") {
  auto ts = ParseTimestamp("2009-02-13T23:31:30Z");
  REQUIRE(ts);
  CHECK(ts->seconds == 1234567890);
  CHECK(ts->nanos == 0);
  CHECK(FormatTimestamp(*ts) == "2009-02-13T23:31:30Z");

  for (const char* text : {"1970-01-01T00:00:00Z", "2009-02-13T23:31:30.123456789Z", "2009-02-13T23:31:30.000000001Z",
                           "2009-02-13T23:31:30.5Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:00:00Z",
                           "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"}) {
    INFO(text);
    auto parsed = ParseTimestamp(text);
    REQUIRE(parsed);
    CHECK(FormatTimestamp(*parsed) == text);
  }
  CHECK(ParseTimestamp("1970-01-01T00:00:00Z")->seconds == 0);
  CHECK(ParseTimestamp("1969-12-31T23:59:59.999Z")->seconds == -1);
  CHECK(ParseTimestamp("1969-12-31T23:59:59.999Z")->nanos == 999000000);
}

TEST_CASE("ParseTimestamp fractions and offsets", "[cel][time]") {
  // Trailing zeros of the fraction are not kept.
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T23:31:30.120Z")) == "2009-02-13T23:31:30.12Z");
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T23:31:30.000Z")) == "2009-02-13T23:31:30Z");
  CHECK(ParseTimestamp("2009-02-13T23:31:30.1Z")->nanos == 100000000);

  CHECK(FormatTimestamp(*ParseTimestamp("2023-02-03T23:31:20+00:00")) == "2023-02-03T23:31:20Z");
  CHECK(FormatTimestamp(*ParseTimestamp("2023-02-03T23:31:20-00:00")) == "2023-02-03T23:31:20Z");
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-14T10:31:30+11:00")) == "2009-02-14T10:31:30+11:00");
  CHECK(ParseTimestamp("2009-02-14T10:31:30+11:00")->seconds == 1234567890);
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T21:01:30.25-02:30")) == "2009-02-13T21:01:30.25-02:30");
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-14T05:16:30+05:45")) == "2009-02-14T05:16:30+05:45");
  // An offset can move the date across a year boundary.
  CHECK(FormatTimestamp(*ParseTimestamp("2000-01-01T00:30:00+01:00")) == "2000-01-01T00:30:00+01:00");
}

TEST_CASE("ParseTimestamp accepts what Go's time.Parse(RFC3339) accepts", "[cel][time]") {
  // Go's general parser takes a one-digit hour, a comma before the fraction,
  // more than nine fraction digits (truncated), and offsets up to 24:60.
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T3:31:30Z")) == "2009-02-13T03:31:30Z");
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T23:31:30,5Z")) == "2009-02-13T23:31:30.5Z");
  CHECK(ParseTimestamp("2009-02-13T23:31:30.1234567899Z")->nanos == 123456789);
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T23:31:30+24:00")) == "2009-02-13T23:31:30+24:00");
  CHECK(FormatTimestamp(*ParseTimestamp("2009-02-13T23:31:30+23:60")) == "2009-02-13T23:31:30+24:00");
}

TEST_CASE("ParseTimestamp range ends", "[cel][time]") {
  auto min = ParseTimestamp("0001-01-01T00:00:00Z");
  REQUIRE(min);
  CHECK(min->seconds == kMinTimestampSeconds);
  auto max = ParseTimestamp("9999-12-31T23:59:59.999999999Z");
  REQUIRE(max);
  CHECK(max->seconds == kMaxTimestampSeconds);
  CHECK(max->nanos == 999999999);

  CHECK_FALSE(ParseTimestamp("0000-01-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("10000-01-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("0000-12-31T23:59:59.999999999Z"));
  // In range as written, out of range once the offset is applied.
  CHECK_FALSE(ParseTimestamp("0001-01-01T00:00:00+00:01"));
  CHECK_FALSE(ParseTimestamp("9999-12-31T23:59:59-00:01"));
  CHECK(ParseTimestamp("0001-01-01T00:01:00+00:01"));
  CHECK(ParseTimestamp("9999-12-31T23:58:59-00:01"));
}

TEST_CASE("ParseTimestamp rejects malformed text", "[cel][time]") {
  for (const char* text : {
           "",
           "2009",
           "2009-02-13",
           "2009-02-13T23:31:30",        // no zone
           "2009-02-13 23:31:30Z",       // space for 'T'
           "2009-02-13t23:31:30Z",       // Go takes upper-case 'T' only
           "2009-02-13T23:31:30z",       // ... and upper-case 'Z' only
           "2009-2-13T23:31:30Z",        // one-digit month
           "2009-02-3T23:31:30Z",        // one-digit day
           "2009-13-01T00:00:00Z",       // month 13
           "2009-00-01T00:00:00Z",       // month 0
           "2009-02-00T00:00:00Z",       // day 0
           "2009-02-29T00:00:00Z",       // not a leap year
           "2009-04-31T00:00:00Z",       // April has 30 days
           "2009-02-13T24:00:00Z",       // hour 24
           "2009-02-13T23:60:00Z",       // minute 60
           "2009-02-13T23:59:60Z",       // leap seconds are not represented
           "2009-02-13T123:31:30Z",      // three-digit hour
           "2009-02-13T23:31:30.Z",      // a point needs a digit after it
           "2009-02-13T23:31:30.5",      // fraction but no zone
           "2009-02-13T23:31:30+0000",   // offset needs a colon
           "2009-02-13T23:31:30+00",     // offset needs minutes
           "2009-02-13T23:31:30+25:00",  // offset hour beyond 24
           "2009-02-13T23:31:30+00:61",  // offset minute beyond 60
           "2009-02-13T23:31:30*01:00",  // no sign
           "2009-02-13T23:31:30ZZ",      // trailing text
           "2009-02-13T23:31:30Z ",      // trailing space
           " 2009-02-13T23:31:30Z",      // leading space
           "+2009-02-13T23:31:30Z",      // signed year
           "2009-02-13T23:31:30UTC",
           "２００９-02-13T23:31:30Z",    // non-ASCII digits
       }) {
    INFO(text);
    CHECK_FALSE(ParseTimestamp(text));
  }
}

TEST_CASE("FormatTimestamp writes years outside 1-9999 as Go does", "[cel][time]") {
  CHECK(FormatTimestamp({kMinTimestampSeconds - 1, 0}) == "0000-12-31T23:59:59Z");
  CHECK(FormatTimestamp({kMaxTimestampSeconds + 1, 0}) == "10000-01-01T00:00:00Z");
  CHECK(FormatTimestamp({FromCivil(-1, 1, 1, 0, 0, 0), 0}) == "-0001-01-01T00:00:00Z");
  // Nanos outside [0, 1e9) carry into the seconds.
  CHECK(FormatTimestamp({0, -1}) == "1969-12-31T23:59:59.999999999Z");
  CHECK(FormatTimestamp({0, 1'500'000'000}) == "1970-01-01T00:00:01.5Z");
}

TEST_CASE("ParseDuration follows Go's time.ParseDuration", "[cel][time]") {
  CHECK(ParseDuration("1h45m47s") == 6347 * kSecond);
  CHECK(ParseDuration("-1.5h") == -5400 * kSecond);
  CHECK(ParseDuration("999999999ns") == 999999999);
  CHECK(ParseDuration("1000000s") == 1000000 * kSecond);
  CHECK(ParseDuration("2h") == 2 * kHour);
  CHECK(ParseDuration("300ms") == 300'000'000);
  CHECK(ParseDuration("1.5s") == 1'500'000'000);
  CHECK(ParseDuration("+1.5s") == 1'500'000'000);
  CHECK(ParseDuration("1.s") == kSecond);
  CHECK(ParseDuration(".5s") == 500'000'000);
  CHECK(ParseDuration("1us") == 1000);
  CHECK(ParseDuration("1\xC2\xB5s") == 1000);  // U+00B5 micro sign
  CHECK(ParseDuration("1\xCE\xBCs") == 1000);  // U+03BC Greek mu
  CHECK(ParseDuration("1h1h") == 2 * kHour);
  CHECK(ParseDuration("1.1h") == 3960 * kSecond);
  CHECK(ParseDuration("0.000000001s") == 1);
  CHECK(ParseDuration("0.0000000009s") == 0);  // below a nanosecond truncates
  CHECK(ParseDuration("0") == 0);
  CHECK(ParseDuration("-0") == 0);
  CHECK(ParseDuration("+0") == 0);
  CHECK(ParseDuration("0s") == 0);

  // int64 limits.
  CHECK(ParseDuration("9223372036854775807ns") == kInt64Max);
  CHECK(ParseDuration("-9223372036854775808ns") == kInt64Min);
  CHECK(ParseDuration("2562047h47m16.854775807s") == kInt64Max);
  CHECK_FALSE(ParseDuration("9223372036854775808ns"));
  CHECK_FALSE(ParseDuration("2562047h47m16.854775808s"));
  CHECK_FALSE(ParseDuration("320000000000s"));
  CHECK_FALSE(ParseDuration("2562048h"));
  CHECK_FALSE(ParseDuration("99999999999999999999ns"));
  CHECK_FALSE(ParseDuration("9223372036854775808ns9223372036854775808ns"));

  for (const char* text : {"", "-", "+", "1", "1.5", "00", ".s", "-.s", "s", "1d", "1S", "1 s", " 1s", "1s ", "1sec",
                           "1hh", "1.2.3s", "--1s", "1e3s", "0x10s"}) {
    INFO(text);
    CHECK_FALSE(ParseDuration(text));
  }
}

TEST_CASE("FormatDuration matches cel-go's string(duration)", "[cel][time]") {
  CHECK(FormatDuration(6347 * kSecond) == "6347s");
  CHECK(FormatDuration(1'500'000'000) == "1.5s");
  CHECK(FormatDuration(-1) == "-0.000000001s");
  CHECK(FormatDuration(1) == "0.000000001s");
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(300'000'000) == "0.3s");
  CHECK(FormatDuration(-5400 * kSecond) == "-5400s");
  CHECK(FormatDuration(999999999) == "0.999999999s");
  CHECK(FormatDuration(1000000 * kSecond) == "1000000s");
  CHECK(FormatDuration(2 * kHour) == "7200s");
  CHECK(FormatDuration(*ParseDuration("1.5s")) == "1.5s");
  // cel-go goes through float64 seconds; these show that it is followed.
  CHECK(FormatDuration(1009616921) == "1.0096169210000001s");
  CHECK(FormatDuration(kInt64Max) == "9223372036.854776s");
  CHECK(FormatDuration(kInt64Min) == "-9223372036.854776s");
}

TEST_CASE("Timestamp comparison and range", "[cel][time]") {
  CHECK(CompareTimestamps({1, 0}, {1, 0}) == 0);
  CHECK(CompareTimestamps({1, 0}, {1, 1}) == -1);
  CHECK(CompareTimestamps({2, 0}, {1, 999999999}) == 1);
  CHECK(CompareTimestamps({-1, 999999999}, {0, 0}) == -1);

  CHECK(TimestampInRange({0, 0}));
  CHECK(TimestampInRange({kMinTimestampSeconds, 0}));
  CHECK(TimestampInRange({kMaxTimestampSeconds, 999999999}));
  CHECK_FALSE(TimestampInRange({kMinTimestampSeconds - 1, 999999999}));
  CHECK_FALSE(TimestampInRange({kMaxTimestampSeconds + 1, 0}));
  CHECK_FALSE(TimestampInRange({0, -1}));
  CHECK_FALSE(TimestampInRange({0, 1'000'000'000}));
}

TEST_CASE("Timestamp and duration arithmetic", "[cel][time]") {
  const Timestamp t{1234567890, 500'000'000};
  auto later = AddDuration(t, 1'600'000'000);
  REQUIRE(later);
  CHECK(later->seconds == 1234567892);
  CHECK(later->nanos == 100'000'000);
  auto earlier = AddDuration(t, -600'000'000);
  REQUIRE(earlier);
  CHECK(earlier->seconds == 1234567889);
  CHECK(earlier->nanos == 900'000'000);
  auto back = SubtractDuration(*later, 1'600'000'000);
  REQUIRE(back);
  CHECK(CompareTimestamps(*back, t) == 0);

  const Timestamp max{kMaxTimestampSeconds, 999999999};
  const Timestamp min{kMinTimestampSeconds, 0};
  CHECK_FALSE(AddDuration(max, 1));
  CHECK_FALSE(AddDuration(min, -1));
  CHECK_FALSE(SubtractDuration(min, 1));
  CHECK(AddDuration(max, 0));
  CHECK(AddDuration(max, -1)->nanos == 999999998);
  CHECK_FALSE(AddDuration(max, kInt64Max));
  CHECK_FALSE(AddDuration(min, kInt64Min));
  CHECK_FALSE(AddDuration({kInt64Max, 0}, kSecond));  // int64 overflow, not just range
  // Subtracting INT64_MIN is adding about 292 years, and it fits here.
  auto far = SubtractDuration({FromCivil(1000, 1, 1, 0, 0, 0), 0}, kInt64Min);
  REQUIRE(far);
  CHECK(FormatTimestamp(*far) == "1292-04-10T23:47:16.854775808Z");

  CHECK(SubtractTimestamps(*later, t) == 1'600'000'000);
  CHECK(SubtractTimestamps(t, *later) == -1'600'000'000);
  CHECK(SubtractTimestamps({1, 0}, {0, 999999999}) == 1);
  CHECK(SubtractTimestamps({0, 999999999}, {1, 0}) == -1);
  CHECK_FALSE(SubtractTimestamps(max, min));  // ~10000 years does not fit
  CHECK_FALSE(SubtractTimestamps(min, max));
  // The extremes of int64 are reachable exactly.
  CHECK(SubtractTimestamps({-9223372037, 145224192}, {0, 0}) == kInt64Min);
  CHECK_FALSE(SubtractTimestamps({-9223372037, 145224191}, {0, 0}));
  CHECK(SubtractTimestamps({9223372036, 854775807}, {0, 0}) == kInt64Max);
  CHECK_FALSE(SubtractTimestamps({9223372036, 854775808}, {0, 0}));
  CHECK_FALSE(SubtractTimestamps({kInt64Max, 0}, {-1, 0}));

  CHECK(AddDurations(1, 2) == 3);
  CHECK(AddDurations(kInt64Max, kInt64Min) == -1);
  CHECK_FALSE(AddDurations(kInt64Max, 1));
  CHECK_FALSE(AddDurations(kInt64Min, -1));
  CHECK(SubtractDurations(1, 2) == -1);
  CHECK_FALSE(SubtractDurations(kInt64Min, 1));
  CHECK_FALSE(SubtractDurations(0, kInt64Min));
  CHECK(SubtractDurations(-1, kInt64Min) == kInt64Max);
  CHECK(NegateDuration(5) == -5);
  CHECK(NegateDuration(kInt64Max) == -kInt64Max);
  CHECK_FALSE(NegateDuration(kInt64Min));
}

TEST_CASE("ToCivil and FromCivil", "[cel][time]") {
  CivilTime c = ToCivil(1234567890, 7);
  CHECK(c.year == 2009);
  CHECK(c.month == 2);
  CHECK(c.day == 13);
  CHECK(c.hour == 23);
  CHECK(c.minute == 31);
  CHECK(c.second == 30);
  CHECK(c.nanos == 7);
  CHECK(c.day_of_week == 5);  // Friday
  CHECK(c.day_of_year == 43);
  CHECK(FromCivil(2009, 2, 13, 23, 31, 30) == 1234567890);

  c = ToCivil(0, 0);
  CHECK((c.year == 1970 && c.month == 1 && c.day == 1 && c.day_of_week == 4 && c.day_of_year == 0));

  // Range ends.
  c = ToCivil(kMinTimestampSeconds, 0);
  CHECK((c.year == 1 && c.month == 1 && c.day == 1 && c.hour == 0 && c.day_of_week == 1 && c.day_of_year == 0));
  c = ToCivil(kMaxTimestampSeconds, 0);
  CHECK((c.year == 9999 && c.month == 12 && c.day == 31 && c.hour == 23 && c.minute == 59 && c.second == 59));
  CHECK((c.day_of_week == 5 && c.day_of_year == 364));
}

TEST_CASE("ToCivil before the epoch", "[cel][time]") {
  CivilTime c = ToCivil(-1, 0);
  CHECK((c.year == 1969 && c.month == 12 && c.day == 31));
  CHECK((c.hour == 23 && c.minute == 59 && c.second == 59));
  CHECK(c.day_of_week == 3);  // Wednesday
  CHECK(c.day_of_year == 364);

  c = ToCivil(-86400, 0);
  CHECK((c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 0 && c.second == 0));
  c = ToCivil(-86401, 0);
  CHECK((c.day == 30 && c.hour == 23 && c.minute == 59 && c.second == 59 && c.day_of_week == 2));

  // Before year 1 (proleptic Gregorian; year 0 is a leap year).
  CHECK(FromCivil(0, 3, 1, 0, 0, 0) - FromCivil(0, 2, 28, 0, 0, 0) == 2 * 86400);
  c = ToCivil(FromCivil(-1, 12, 31, 12, 0, 0), 0);
  CHECK((c.year == -1 && c.month == 12 && c.day == 31 && c.hour == 12 && c.day_of_year == 364));

  // Far beyond the timestamp range, still exact and without overflow.
  c = ToCivil(kInt64Min, 0);
  CHECK(c.year < -290'000'000'000);
  c = ToCivil(kInt64Max, 0);
  CHECK(c.year > 290'000'000'000);
}

TEST_CASE("Leap years", "[cel][time]") {
  CivilTime c = ToCivil(FromCivil(2000, 2, 29, 0, 0, 0), 0);
  CHECK((c.year == 2000 && c.month == 2 && c.day == 29 && c.day_of_year == 59));
  CHECK(ToCivil(FromCivil(2000, 12, 31, 0, 0, 0), 0).day_of_year == 365);
  CHECK(ToCivil(FromCivil(2001, 12, 31, 0, 0, 0), 0).day_of_year == 364);
  CHECK(ParseTimestamp("2000-02-29T00:00:00Z"));
  CHECK(ParseTimestamp("2024-02-29T00:00:00Z"));
  CHECK(ParseTimestamp("1600-02-29T00:00:00Z"));

  // 1900 and 2100 are not leap years: February 29th carries into March.
  c = ToCivil(FromCivil(1900, 2, 29, 0, 0, 0), 0);
  CHECK((c.year == 1900 && c.month == 3 && c.day == 1 && c.day_of_year == 59));
  CHECK_FALSE(ParseTimestamp("1900-02-29T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("2100-02-29T00:00:00Z"));
  CHECK(FromCivil(1901, 1, 1, 0, 0, 0) - FromCivil(1900, 1, 1, 0, 0, 0) == 365 * 86400);
  CHECK(FromCivil(2001, 1, 1, 0, 0, 0) - FromCivil(2000, 1, 1, 0, 0, 0) == 366 * 86400);
}

TEST_CASE("FromCivil carries out-of-range fields like Go's time.Date", "[cel][time]") {
  CHECK(FromCivil(2008, 14, 13, 23, 31, 30) == 1234567890);
  CHECK(FromCivil(2009, 0, 1, 0, 0, 0) == FromCivil(2008, 12, 1, 0, 0, 0));
  CHECK(FromCivil(2009, -11, 1, 0, 0, 0) == FromCivil(2008, 1, 1, 0, 0, 0));
  CHECK(FromCivil(2009, 1, 32, 0, 0, 0) == FromCivil(2009, 2, 1, 0, 0, 0));
  CHECK(FromCivil(2009, 3, 0, 0, 0, 0) == FromCivil(2009, 2, 28, 0, 0, 0));
  CHECK(FromCivil(1970, 1, 1, 0, 0, -1) == -1);
  CHECK(FromCivil(1970, 1, 1, 25, 0, 0) == 25 * 3600);
}

TEST_CASE("ToCivil and FromCivil agree across the whole range", "[cel][time]") {
  int64_t prev_days = 0;
  int prev_dow = -1;
  for (int64_t s = kMinTimestampSeconds; s <= kMaxTimestampSeconds; s += 86400 * 97 + 3671) {
    CivilTime c = ToCivil(s, 0);
    REQUIRE(FromCivil(c.year, c.month, c.day, c.hour, c.minute, c.second) == s);
    REQUIRE(c.day_of_year == (FromCivil(c.year, c.month, c.day, 0, 0, 0) - FromCivil(c.year, 1, 1, 0, 0, 0)) / 86400);
    const int64_t days = (s - c.hour * 3600 - c.minute * 60 - c.second - FromCivil(1970, 1, 1, 0, 0, 0)) / 86400;
    if (prev_dow >= 0) REQUIRE(c.day_of_week == (prev_dow + (days - prev_days) % 7) % 7);
    prev_days = days;
    prev_dow = c.day_of_week;
  }
}

TEST_CASE("ZoneOffsetAt with IANA zones", "[cel][time][tz]") {
  const int64_t t = At("2009-02-13T23:31:30Z");
  CHECK(ZoneOffsetAt("Australia/Sydney", t) == 11 * 3600);
  CHECK(ZoneOffsetAt("US/Central", t) == -6 * 3600);
  CHECK(ZoneOffsetAt("America/St_Johns", At("2009-02-13T02:00:00Z")) == -(3 * 3600 + 1800));
  CHECK(ZoneOffsetAt("Asia/Kathmandu", t) == 5 * 3600 + 45 * 60);
  CHECK(ZoneOffsetAt("UTC", t) == 0);
  CHECK(ZoneOffsetAt("Etc/UTC", t) == 0);
  CHECK(ZoneOffsetAt("Etc/GMT+5", t) == -5 * 3600);
  CHECK(ZoneOffsetAt("America/Port-au-Prince", At("2009-02-13T12:00:00Z")) == -5 * 3600);

  // Sydney in summer: the local date is already the 14th.
  auto local = ToCivilInZone({t, 0}, "Australia/Sydney");
  REQUIRE(local);
  CHECK(local->day == 14);
  CHECK(local->hour == 10);
  CHECK(local->day_of_week == 6);
  auto chicago = ToCivilInZone({t, 0}, "US/Central");
  REQUIRE(chicago);
  CHECK((chicago->day == 13 && chicago->hour == 17));

  // Daylight saving time in the explicit transitions.
  CHECK(ZoneOffsetAt("US/Central", At("2009-07-01T00:00:00Z")) == -5 * 3600);
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2009-07-01T00:00:00Z")) == 10 * 3600);
}

TEST_CASE("ZoneOffsetAt beyond the last transition uses the TZ footer", "[cel][time][tz]") {
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-01-15T00:00:00Z")) == 11 * 3600);
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-07-15T00:00:00Z")) == 10 * 3600);
  // "AEST-10AEDT,M10.1.0,M4.1.0/3": in 2300 DST ends Sunday April 1st at
  // 03:00 AEDT and starts Sunday October 7th at 02:00 AEST.
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-03-31T15:59:59Z")) == 11 * 3600);
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-03-31T16:00:00Z")) == 10 * 3600);
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-10-06T15:59:59Z")) == 10 * 3600);
  CHECK(ZoneOffsetAt("Australia/Sydney", At("2300-10-06T16:00:00Z")) == 11 * 3600);

  CHECK(ZoneOffsetAt("US/Central", At("2300-07-01T00:00:00Z")) == -5 * 3600);
  CHECK(ZoneOffsetAt("US/Central", At("2300-01-01T00:00:00Z")) == -6 * 3600);
  CHECK(ZoneOffsetAt("America/St_Johns", At("2300-07-01T00:00:00Z")) == -(2 * 3600 + 1800));
  CHECK(ZoneOffsetAt("Asia/Kathmandu", At("9999-12-31T23:59:59Z")) == 5 * 3600 + 45 * 60);
  // Footers with a negative rule time and a time past 24:00.
  CHECK(ZoneOffsetAt("America/Nuuk", At("2300-07-01T00:00:00Z")) == -1 * 3600);
  CHECK(ZoneOffsetAt("America/Nuuk", At("2300-01-01T00:00:00Z")) == -2 * 3600);
  CHECK(ZoneOffsetAt("Asia/Jerusalem", At("2300-07-01T00:00:00Z")) == 3 * 3600);
  CHECK(ZoneOffsetAt("Asia/Jerusalem", At("2300-01-01T00:00:00Z")) == 2 * 3600);
}

TEST_CASE("ZoneOffsetAt with fixed offsets", "[cel][time][tz]") {
  CHECK(ZoneOffsetAt("+11:00", 0) == 11 * 3600);
  CHECK(ZoneOffsetAt("-02:30", 0) == -(2 * 3600 + 1800));
  CHECK(ZoneOffsetAt("-00:00", 0) == 0);
  CHECK(ZoneOffsetAt("+00:00", 0) == 0);
  CHECK(ZoneOffsetAt("02:00", 0) == 2 * 3600);
  CHECK(ZoneOffsetAt("-00:30", 0) == -1800);
  CHECK(ZoneOffsetAt("+05:45", 0) == 5 * 3600 + 45 * 60);
  CHECK(ZoneOffsetAt("5:3", 0) == 5 * 3600 + 3 * 60);  // as strconv.Atoi reads each part
  auto local = ToCivilInZone({At("2009-02-13T23:31:30Z"), 0}, "+11:00");
  REQUIRE(local);
  CHECK((local->day == 14 && local->hour == 10 && local->minute == 31));

  for (const char* zone : {":", "00:", ":00", "x:00", "+1:60", "1:-1", "1:00:00", "+ 1:00", "１:00",
                           "99999999999999999999:00"}) {
    INFO(zone);
    CHECK_FALSE(ZoneOffsetAt(zone, 0));
  }
}

TEST_CASE("ZoneOffsetAt refuses unsafe or unknown names", "[cel][time][tz]") {
  for (const char* zone : {"../etc/passwd", "Not/AZone", "/etc/passwd", "Australia/../../etc/passwd", "..",
                           "Australia/Syd ney", "Australia/Sydney\n", "Australia\\Sydney", "Australia/Sydney.",
                           "zone.tab", "Australia", "Australia/", "utc"}) {
    INFO(zone);
    CHECK_FALSE(ZoneOffsetAt(zone, 0));
  }
  CHECK_FALSE(ZoneOffsetAt(std::string("Australia/Sydney\0x", 18), 0));
  // As Go's time.LoadLocation: "" is UTC, and "Local" is the API server's own zone, UTC.
  CHECK(ZoneOffsetAt("", 0) == 0);
  CHECK(ZoneOffsetAt("Local", 0) == 0);
  CHECK_FALSE(ZoneOffsetAt("Australia/Sydney", 0, "/nonexistent-zoneinfo"));
  CHECK_FALSE(ZoneOffsetAt("Australia/Sydney", 0, ""));
  CHECK_FALSE(ZoneOffsetAt(std::string(300, 'A'), 0));
  CHECK(ZoneOffsetAt("Australia/Sydney", 0, "/usr/share/zoneinfo/") == 10 * 3600);
}

TEST_CASE("TimeZone::FromTzif reads versions 1 to 3", "[cel][time][tz]") {
  // Version 1: 32-bit transitions only, no footer.
  TzifSpec v1;
  v1.version = '\0';
  v1.types = {{3600, false}, {7200, true}};
  v1.transitions = {{1000, 1}, {2000, 0}};
  auto tz = TimeZone::FromTzif(BuildTzif(v1));
  REQUIRE(tz);
  CHECK(tz->OffsetAt(-5000000000) == 3600);  // before the first: standard type
  CHECK(tz->OffsetAt(999) == 3600);
  CHECK(tz->OffsetAt(1000) == 7200);
  CHECK(tz->OffsetAt(1999) == 7200);
  CHECK(tz->OffsetAt(2000) == 3600);
  CHECK(tz->OffsetAt(5000000000) == 3600);

  // Version 2: the 64-bit block wins over the 32-bit one, and its
  // transitions may lie past 2038.
  TzifSpec v2;
  v2.version = '2';
  v2.types = {{100, false}, {3600, false}, {7200, true}};
  v2.transitions = {{1000, 2}, {5000000000, 1}};
  v2.v1_types = {{-3600, false}};
  v2.footer = "";
  tz = TimeZone::FromTzif(BuildTzif(v2));
  REQUIRE(tz);
  CHECK(tz->OffsetAt(0) == 100);  // type 0 is unused by transitions, so it is the initial type
  CHECK(tz->OffsetAt(1000) == 7200);
  CHECK(tz->OffsetAt(4999999999) == 7200);
  CHECK(tz->OffsetAt(5000000000) == 3600);
  CHECK(tz->OffsetAt(kInt64Max) == 3600);

  // Version 3 footer with a negative rule time, applied after the last
  // transition: "<-02>2<-01>,M3.5.0/-1,M10.5.0/0".
  TzifSpec v3;
  v3.version = '3';
  v3.types = {{-10800, false}, {-7200, false}};
  v3.transitions = {{0, 1}};
  v3.footer = "<-02>2<-01>,M3.5.0/-1,M10.5.0/0";
  tz = TimeZone::FromTzif(BuildTzif(v3));
  REQUIRE(tz);
  CHECK(tz->OffsetAt(-1) == -10800);
  CHECK(tz->OffsetAt(At("2024-03-31T00:59:59Z")) == -7200);
  CHECK(tz->OffsetAt(At("2024-03-31T01:00:00Z")) == -3600);
  CHECK(tz->OffsetAt(At("2024-10-27T00:59:59Z")) == -3600);
  CHECK(tz->OffsetAt(At("2024-10-27T01:00:00Z")) == -7200);

  // Version 3 footer with a rule time past 24:00 and no transitions at all:
  // the footer governs every instant.
  TzifSpec jerusalem;
  jerusalem.version = '3';
  jerusalem.types = {{7200, false}};
  jerusalem.footer = "IST-2IDT,M3.4.4/26,M10.5.0";
  tz = TimeZone::FromTzif(BuildTzif(jerusalem));
  REQUIRE(tz);
  CHECK(tz->OffsetAt(At("2024-03-28T23:59:59Z")) == 7200);
  CHECK(tz->OffsetAt(At("2024-03-29T00:00:00Z")) == 10800);
  CHECK(tz->OffsetAt(At("2024-10-26T22:59:59Z")) == 10800);
  CHECK(tz->OffsetAt(At("2024-10-26T23:00:00Z")) == 7200);

  // A footer that does not parse is ignored: the last transition stands.
  TzifSpec bad_footer = v3;
  bad_footer.footer = "EST5EDT,M13.1.0,M11.1.0";
  tz = TimeZone::FromTzif(BuildTzif(bad_footer));
  REQUIRE(tz);
  CHECK(tz->OffsetAt(At("2024-07-01T00:00:00Z")) == -7200);
}

TEST_CASE("TimeZone::FromTzif rejects malformed data", "[cel][time][tz]") {
  TzifSpec ok;
  ok.types = {{3600, false}, {7200, true}};
  ok.transitions = {{1000, 1}, {2000, 0}};
  ok.footer = "AAA-1";
  const std::string good = BuildTzif(ok);
  REQUIRE(TimeZone::FromTzif(good));

  CHECK_FALSE(TimeZone::FromTzif(""));
  CHECK_FALSE(TimeZone::FromTzif("TZif"));
  CHECK_FALSE(TimeZone::FromTzif("TZjf" + good.substr(4)));
  std::string version5 = good;
  version5[4] = '5';
  CHECK_FALSE(TimeZone::FromTzif(version5));
  // Every truncation inside the data blocks is refused.
  const size_t footer_start = good.size() - ok.footer.size() - 2;
  for (size_t n = 0; n < footer_start; ++n) {
    INFO(n);
    CHECK_FALSE(TimeZone::FromTzif(good.substr(0, n)));
  }

  TzifSpec no_types;
  no_types.types = {};
  CHECK_FALSE(TimeZone::FromTzif(BuildTzif(no_types)));

  TzifSpec bad_index = ok;
  bad_index.transitions = {{1000, 2}};
  CHECK_FALSE(TimeZone::FromTzif(BuildTzif(bad_index)));

  // Counts far larger than the data.
  std::string huge = good;
  huge[20 + 12] = '\x7f';  // timecnt of the first block
  CHECK_FALSE(TimeZone::FromTzif(huge));
}

TEST_CASE("POSIX TZ strings", "[cel][time][tz]") {
  auto offset = [](std::string_view spec, std::string_view when) {
    auto tz = TimeZone::ParsePosixTz(spec);
    REQUIRE(tz);
    return TimeZone::PosixOffsetAt(*tz, At(when));
  };
  // Mm.w.d with the default 02:00.
  CHECK(offset("EST5EDT,M3.2.0,M11.1.0", "2024-03-10T06:59:59Z") == -18000);
  CHECK(offset("EST5EDT,M3.2.0,M11.1.0", "2024-03-10T07:00:00Z") == -14400);
  CHECK(offset("EST5EDT,M3.2.0,M11.1.0", "2024-11-03T05:59:59Z") == -14400);
  CHECK(offset("EST5EDT,M3.2.0,M11.1.0", "2024-11-03T06:00:00Z") == -18000);
  // No rules: tzcode's US defaults.
  CHECK(offset("EST5EDT", "2024-03-10T07:00:00Z") == -14400);
  CHECK(offset("EST5EDT", "2024-11-03T06:00:00Z") == -18000);
  // Jn never counts February 29th; n does.
  CHECK(offset("XXX0YYY,J60,J300", "2024-03-01T01:59:59Z") == 0);
  CHECK(offset("XXX0YYY,J60,J300", "2024-03-01T02:00:00Z") == 3600);
  CHECK(offset("XXX0YYY,J60,J300", "2023-03-01T02:00:00Z") == 3600);
  CHECK(offset("XXX0YYY,59,300", "2024-02-29T01:59:59Z") == 0);
  CHECK(offset("XXX0YYY,59,300", "2024-02-29T02:00:00Z") == 3600);
  CHECK(offset("XXX0YYY,59,300", "2023-03-01T02:00:00Z") == 3600);
  CHECK(offset("XXX0YYY,59,300", "2024-10-27T01:00:00Z") == 0);
  // Southern hemisphere: daylight time spans New Year.
  CHECK(offset("AEST-10AEDT,M10.1.0,M4.1.0/3", "2300-01-15T00:00:00Z") == 39600);
  CHECK(offset("AEST-10AEDT,M10.1.0,M4.1.0/3", "2300-07-15T00:00:00Z") == 36000);
  // Fixed, quoted names, and offsets with minutes and seconds.
  CHECK(offset("<+0545>-5:45", "2024-01-01T00:00:00Z") == 20700);
  CHECK(offset("<-03>3", "2024-01-01T00:00:00Z") == -10800);
  CHECK(offset("LMT-0:01:15", "2024-01-01T00:00:00Z") == 75);
  CHECK(offset("AAA+3BBB+1,J1/0,J365/24", "2024-06-01T00:00:00Z") == -3600);
  // ';' is accepted as a separator, as tzcode does (after an explicit offset:
  // an unquoted name runs up to the next digit).
  CHECK(offset("EST5EDT4;M3.2.0,M11.1.0", "2024-07-01T00:00:00Z") == -14400);

  for (const char* bad : {"", "AB5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
                          "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J100", "EST5EDT,366,1", "EST169", "EST5:60",
                          "<EST5", "EST5EDT,M3.2.0,M11.1.0,", "EST5EDT,M3.2.0/24:60,M11.1.0"}) {
    INFO(bad);
    CHECK_FALSE(TimeZone::ParsePosixTz(bad));
  }
}

TEST_CASE("LoadTimeZone reads from the given directory, within bounds", "[cel][time][tz]") {
  TempZoneDir dir;
  TzifSpec spec;
  spec.types = {{-7200, false}};
  spec.transitions = {{0, 0}};
  spec.footer = "<-02>2";
  const std::string data = BuildTzif(spec);
  dir.Write("Test/Zone", data);
  dir.Write("Big", data + std::string(static_cast<size_t>(kMaxZoneFileBytes), '\n'));
  dir.Write("NotTzif", "# just text\n");
  std::filesystem::create_directories(std::filesystem::path(dir.path()) / "Dir");

  CHECK(ZoneOffsetAt("Test/Zone", 12345, dir.path()) == -7200);
  auto tz = LoadTimeZone("Test/Zone", dir.path());
  REQUIRE(tz);
  CHECK(tz->OffsetAt(-12345) == -7200);
  CHECK_FALSE(ZoneOffsetAt("Big", 0, dir.path()));
  CHECK_FALSE(ZoneOffsetAt("NotTzif", 0, dir.path()));
  CHECK_FALSE(ZoneOffsetAt("Dir", 0, dir.path()));
  CHECK_FALSE(ZoneOffsetAt("Missing", 0, dir.path()));
  // Fixed offsets and UTC never touch the directory.
  CHECK(ZoneOffsetAt("UTC", 0, dir.path()) == 0);
  CHECK(ZoneOffsetAt("+01:00", 0, dir.path()) == 3600);
}

TEST_CASE("TimeZone defaults and fixed zones", "[cel][time][tz]") {
  CHECK(TimeZone().OffsetAt(0) == 0);
  CHECK(TimeZone::Fixed(-9000).OffsetAt(kInt64Min) == -9000);
  auto utc = LoadTimeZone("UTC");
  REQUIRE(utc);
  CHECK(utc->OffsetAt(kInt64Max) == 0);
}

}  // namespace
}  // namespace clausegate
