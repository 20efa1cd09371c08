#pragma once
// Timestamps, durations and time zones for CEL, matching cel-go (and so the
// Kubernetes API server): timestamps are google.protobuf.Timestamp values in
// the range 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z, durations
// are Go time.Duration values (int64 nanoseconds). Text forms follow Go's time
// package. Nothing here throws; failures are std::nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clausegate {

struct Timestamp {
  int64_t seconds = 0;  // since the Unix epoch
  int32_t nanos = 0;    // 0 <= nanos < 1e9
  // Seconds east of UTC that the time was written in ("+02:00"): as Go keeps a
  // time's zone, string() prints it there. Comparison and arithmetic ignore it.
  int32_t offset = 0;
};

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
inline constexpr std::string_view kDefaultZoneinfoDir = "/usr/share/zoneinfo";
// Zone files are small (a few KiB); anything larger is not worth reading.
inline constexpr int64_t kMaxZoneFileBytes = 1 << 20;

// True if `ts` is normalized (0 <= nanos < 1e9) and within the CEL range.
bool TimestampInRange(const Timestamp& ts);

// -1, 0 or 1 as `a` is before, equal to or after `b`.
int CompareTimestamps(const Timestamp& a, const Timestamp& b);

// Parses what Go's time.Parse(time.RFC3339, s) accepts, then applies the CEL
// range. Like Go this takes 'T' and 'Z' in upper case only, an hour of one or
// two digits, '.' or ',' before a fraction of any length (digits past the
// ninth are dropped), and offsets up to +-24:60.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

// Go's time.RFC3339Nano in UTC: "2009-02-13T23:31:30Z",
// "9999-12-31T23:59:59.999999999Z" (trailing zeros of the fraction dropped).
// Nanos outside [0, 1e9) are carried into the seconds first.
std::string FormatTimestamp(const Timestamp& ts);

// Go's time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+" with units ns,
// us, µs (U+00B5 or U+03BC), ms, s, m, h; "0" needs no unit. Returns
// nanoseconds, or nullopt on a syntax error or int64 overflow.
std::optional<int64_t> ParseDuration(std::string_view text);

// cel-go's string(duration): the seconds as Go's
// strconv.FormatFloat(d.Seconds(), 'f', -1, 64) followed by "s", e.g. "6347s",
// "1.5s", "-0.000000001s", "0s". Goes through a double exactly as cel-go does,
// so the output matches the API server byte for byte.
std::string FormatDuration(int64_t nanos);

// Checked arithmetic: nullopt on int64 overflow or, for timestamps, a result
// outside the CEL range.
std::optional<Timestamp> AddDuration(const Timestamp& ts, int64_t nanos);
std::optional<Timestamp> SubtractDuration(const Timestamp& ts, int64_t nanos);
std::optional<int64_t> SubtractTimestamps(const Timestamp& a, const Timestamp& b);  // a - b
std::optional<int64_t> AddDurations(int64_t a, int64_t b);
std::optional<int64_t> SubtractDurations(int64_t a, int64_t b);
std::optional<int64_t> NegateDuration(int64_t nanos);

// Broken-down civil time in the proleptic Gregorian calendar.
struct CivilTime {
  int64_t year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int32_t nanos = 0;
  int day_of_week = 4;  // 0 = Sunday
  int day_of_year = 0;  // 0-based
};

// Splits seconds since the epoch (already shifted to local time by the
// caller) into civil fields. Defined for every int64, negative ones included.
CivilTime ToCivil(int64_t seconds_since_epoch_local, int32_t nanos);

// Seconds since the epoch of a civil time. Like Go's time.Date, fields out of
// their usual range carry over (month 13 is January of the next year, second
// -1 is the last second of the previous minute). `year` must lie within
// +-100'000'000'000 so that the result fits in int64.
int64_t FromCivil(int64_t year, int month, int day, int hour, int minute, int second);

// The offset rules of one time zone: fixed, or read from a TZif file.
// Loading is the costly part; a caller that evaluates many instants in one
// zone can keep a TimeZone and ask it repeatedly.
class TimeZone {
 public:
  // UTC.
  TimeZone() = default;

  static TimeZone Fixed(int32_t seconds_east_of_utc);

  // Parses TZif data (RFC 8536, versions 1 to 4). Uses the 64-bit section of
  // version 2+ data and its POSIX TZ footer for instants after the last
  // transition, as Go's time.LoadLocationFromTZData does. nullopt if the data
  // is malformed.
  static std::optional<TimeZone> FromTzif(std::string_view data);

  // UTC offset in seconds at the instant `unix_seconds`.
  int32_t OffsetAt(int64_t unix_seconds) const;

  // A rule from a POSIX TZ string, "Mm.w.d", "Jn" or "n" with a "/time".
  struct PosixRule {
    enum class Kind { kJulian, kDayOfYear, kMonthWeekDay };
    Kind kind = Kind::kMonthWeekDay;
    int day = 0;
    int week = 0;
    int month = 0;
    int32_t time = 7200;  // seconds after local midnight; may be negative or > 24h
  };
  // A parsed POSIX TZ string such as "AEST-10AEDT,M10.1.0,M4.1.0/3". Offsets
  // are seconds east of UTC (the string itself counts them westwards).
  struct PosixTz {
    int32_t std_offset = 0;
    bool has_dst = false;
    int32_t dst_offset = 0;
    PosixRule start;
    PosixRule end;
  };

  // Parses the POSIX TZ strings found in TZif footers, with the extensions
  // Go and tzcode accept (hours up to 167, negative rule times, ';').
  static std::optional<PosixTz> ParsePosixTz(std::string_view spec);

  // Offset that `tz` gives at `unix_seconds`.
  static int32_t PosixOffsetAt(const PosixTz& tz, int64_t unix_seconds);

 private:
  struct LocalType {
    int32_t offset = 0;
    bool is_dst = false;
  };
  struct Transition {
    int64_t when = 0;
    uint8_t type = 0;
  };

  int FirstType() const;

  std::vector<LocalType> types_;  // empty means a fixed offset of fixed_offset_
  std::vector<Transition> transitions_;
  std::optional<PosixTz> footer_;
  int32_t fixed_offset_ = 0;
};

// Loads the rules for `zone`: "UTC", an IANA name read from
// `zoneinfo_dir`/`zone`, or a fixed offset as cel-go accepts it
// ("+11:00", "-02:30", "-00:00", "02:00" meaning +02:00). Names are untrusted:
// anything with "..", a leading '/', or a character outside
// [A-Za-z0-9_+-/] is refused before any file is opened.
std::optional<TimeZone> LoadTimeZone(std::string_view zone,
                                     std::string_view zoneinfo_dir = kDefaultZoneinfoDir);

// UTC offset in seconds that applies at `unix_seconds` in `zone`, or nullopt
// if `zone` is not valid. A convenience over LoadTimeZone.
std::optional<int32_t> ZoneOffsetAt(std::string_view zone, int64_t unix_seconds,
                                    std::string_view zoneinfo_dir = kDefaultZoneinfoDir);

// Civil time of `ts` in `zone` (what getHours(tz), getDate(tz)... read), or
// nullopt if the zone is not valid.
std::optional<CivilTime> ToCivilInZone(const Timestamp& ts, std::string_view zone,
                                       std::string_view zoneinfo_dir = kDefaultZoneinfoDir);

}  // namespace clausegate
