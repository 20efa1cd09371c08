#include "common/time_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <utility>

namespace clausegate {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int month, int64_t year) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

// Days before the first of `month` (1-12) in a common year.
int DaysBeforeMonth(int month) {
  static constexpr int kBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return kBefore[month - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the whole
// proleptic Gregorian calendar, including years before 1 and after 9999.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct YearMonthDay {
  int64_t year;
  int month;
  int day;
};

YearMonthDay CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// 0 = Sunday; 1970-01-01 was a Thursday.
int DayOfWeek(int64_t days_since_epoch) { return static_cast<int>(FloorMod(days_since_epoch + 4, 7)); }

// Carries nanos outside [0, 1e9) into the seconds.
std::optional<Timestamp> Normalize(int64_t seconds, int64_t nanos) {
  int64_t carry = FloorDiv(nanos, kNanosPerSecond);
  int64_t s = 0;
  if (__builtin_add_overflow(seconds, carry, &s)) return std::nullopt;
  return Timestamp{s, static_cast<int32_t>(nanos - carry * kNanosPerSecond)};
}

std::optional<Timestamp> InRange(std::optional<Timestamp> ts) {
  if (!ts || !TimestampInRange(*ts)) return std::nullopt;
  return ts;
}

void AppendPadded(std::string& out, uint64_t value, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;  // 24 bytes hold any uint64
  for (int n = static_cast<int>(end - buf); n < width; ++n) out.push_back('0');
  out.append(buf, end);
}

// ---- Parsing text ---------------------------------------------------------

// Go's strconv.Atoi: an optional sign then one or more decimal digits, within
// int64.
std::optional<int64_t> GoAtoi(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    if (v > (kMaxMagnitude - static_cast<uint64_t>(c - '0')) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!neg && v == kMaxMagnitude) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// A cursor over text with the small matchers Go's time.Parse uses.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  std::string_view rest() const { return s_; }
  bool Consume(char c) {
    if (s_.empty() || s_[0] != c) return false;
    s_.remove_prefix(1);
    return true;
  }
  // Exactly `n` digits.
  std::optional<int> Digits(size_t n) {
    if (s_.size() < n) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!IsDigit(s_[i])) return std::nullopt;
      v = v * 10 + (s_[i] - '0');
    }
    s_.remove_prefix(n);
    return v;
  }
  // One digit, or two when there are two (Go's getnum with fixed=false).
  std::optional<int> OneOrTwoDigits() {
    if (s_.size() >= 2 && IsDigit(s_[0]) && IsDigit(s_[1])) return Digits(2);
    return Digits(1);
  }
  void Skip(size_t n) { s_.remove_prefix(n); }

 private:
  std::string_view s_;
};

// ---- Time zones -----------------------------------------------------------

// Go's tzsetNum: a decimal number in [min, max].
std::optional<int> TzNum(std::string_view& s, int min, int max) {
  size_t i = 0;
  int num = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    num = num * 10 + (s[i] - '0');
    if (num > max) return std::nullopt;
  }
  if (i == 0 || num < min) return std::nullopt;
  s.remove_prefix(i);
  return num;
}

// Go's tzsetName: "<...>" or at least three characters up to a digit, ',',
// '-' or '+'. The name itself is not needed.
bool TzName(std::string_view& s) {
  if (s.empty()) return false;
  if (s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (IsDigit(c) || c == ',' || c == '-' || c == '+') break;
  }
  if (i < 3) return false;
  s.remove_prefix(i);
  return true;
}

// Go's tzsetOffset: [+-]hh[:mm[:ss]], hours up to 167. Seconds, in the POSIX
// sense (positive west of Greenwich).
std::optional<int32_t> TzOffset(std::string_view& s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto hours = TzNum(s, 0, 24 * 7);
  if (!hours) return std::nullopt;
  int32_t off = *hours * 3600;
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    auto mins = TzNum(s, 0, 59);
    if (!mins) return std::nullopt;
    off += *mins * 60;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      auto secs = TzNum(s, 0, 59);
      if (!secs) return std::nullopt;
      off += *secs;
    }
  }
  return neg ? -off : off;
}

std::optional<TimeZone::PosixRule> TzRule(std::string_view& s) {
  using Kind = TimeZone::PosixRule::Kind;
  TimeZone::PosixRule r;
  if (s.empty()) return std::nullopt;
  if (s[0] == 'J') {
    s.remove_prefix(1);
    auto day = TzNum(s, 1, 365);
    if (!day) return std::nullopt;
    r.kind = Kind::kJulian;
    r.day = *day;
  } else if (s[0] == 'M') {
    s.remove_prefix(1);
    auto mon = TzNum(s, 1, 12);
    if (!mon || s.empty() || s[0] != '.') return std::nullopt;
    s.remove_prefix(1);
    auto week = TzNum(s, 1, 5);
    if (!week || s.empty() || s[0] != '.') return std::nullopt;
    s.remove_prefix(1);
    auto day = TzNum(s, 0, 6);
    if (!day) return std::nullopt;
    r.kind = Kind::kMonthWeekDay;
    r.month = *mon;
    r.week = *week;
    r.day = *day;
  } else {
    auto day = TzNum(s, 0, 365);
    if (!day) return std::nullopt;
    r.kind = Kind::kDayOfYear;
    r.day = *day;
  }
  if (s.empty() || s[0] != '/') return r;  // 02:00 local is the default
  s.remove_prefix(1);
  auto time = TzOffset(s);
  if (!time) return std::nullopt;
  r.time = *time;
  return r;
}

// Seconds from the start of `year` (UTC) to the moment `r` takes effect, with
// `off` the UTC offset in force just before it.
int64_t RuleTime(int64_t year, const TimeZone::PosixRule& r, int32_t off) {
  using Kind = TimeZone::PosixRule::Kind;
  int64_t day = 0;
  switch (r.kind) {
    case Kind::kJulian:  // 1-365, February 29th never counted
      day = r.day - 1;
      if (IsLeapYear(year) && r.day >= 60) ++day;
      break;
    case Kind::kDayOfYear:  // 0-365, February 29th counted
      day = r.day;
      break;
    case Kind::kMonthWeekDay: {
      const int first_dow = DayOfWeek(DaysFromCivil(year, r.month, 1));
      int d = r.day - first_dow;  // 0-based day of month of the first such weekday
      if (d < 0) d += 7;
      for (int i = 1; i < r.week; ++i) {
        if (d + 7 >= DaysInMonth(r.month, year)) break;  // week 5 means "last"
        d += 7;
      }
      day = d + DaysBeforeMonth(r.month) + ((IsLeapYear(year) && r.month > 2) ? 1 : 0);
      break;
    }
  }
  return day * kSecondsPerDay + r.time - off;
}

// Zone names come from policy text: only plain relative names under the
// zoneinfo directory are ever opened.
bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name[0] == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' ||
              c == '+' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// Reads a regular file of at most `max_bytes`.
std::optional<std::string> ReadSmallFile(const std::string& path, int64_t max_bytes) {
  // O_NONBLOCK so that a FIFO planted in the directory cannot stall us before
  // the regular-file check.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> result;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= max_bytes) {
    std::string data;
    char buf[8192];
    bool ok = true;
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ok = false;
        break;
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (static_cast<int64_t>(data.size()) > max_bytes) {  // grew while we read
        ok = false;
        break;
      }
    }
    if (ok) result = std::move(data);
  }
  ::close(fd);
  return result;
}

// cel-go's fixed offsets: "<hours>:<minutes>", each as Go's strconv.Atoi
// reads it, minutes in [0, 59], negative when the text starts with '-'.
std::optional<int32_t> ParseFixedOffset(std::string_view zone, size_t colon) {
  auto hours = GoAtoi(zone.substr(0, colon));
  auto minutes = GoAtoi(zone.substr(colon + 1));
  if (!hours || !minutes || *minutes < 0 || *minutes > 59) return std::nullopt;
  // Bound the hours so the arithmetic below cannot overflow; the result must
  // fit in int32 seconds anyway.
  if (*hours > 1'000'000 || *hours < -1'000'000) return std::nullopt;
  int64_t total_minutes = zone[0] == '-' ? *hours * 60 - *minutes : *hours * 60 + *minutes;
  int64_t seconds = total_minutes * 60;
  if (seconds > std::numeric_limits<int32_t>::max() || seconds < std::numeric_limits<int32_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(seconds);
}

// Big-endian reader over TZif data; every read is bounds-checked.
class TzifReader {
 public:
  explicit TzifReader(std::string_view data) : data_(data) {}
  std::optional<std::string_view> Bytes(uint64_t n) {
    if (n > data_.size() - pos_) return std::nullopt;
    std::string_view out = data_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  std::optional<uint32_t> U32() {
    auto b = Bytes(4);
    if (!b) return std::nullopt;
    return Be32(*b);
  }
  std::string_view Rest() const { return data_.substr(pos_); }

  static uint32_t Be32(std::string_view b) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
    return v;
  }
  static uint64_t Be64(std::string_view b) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
    return v;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

// ---- Timestamps -----------------------------------------------------------

bool TimestampInRange(const Timestamp& ts) {
  return ts.nanos >= 0 && ts.nanos < kNanosPerSecond && ts.seconds >= kMinTimestampSeconds &&
         ts.seconds <= kMaxTimestampSeconds;
}

int CompareTimestamps(const Timestamp& a, const Timestamp& b) {
  if (a.seconds != b.seconds) return a.seconds < b.seconds ? -1 : 1;
  if (a.nanos != b.nanos) return a.nanos < b.nanos ? -1 : 1;
  return 0;
}

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  // Mirrors Go's time.Parse for the layout "2006-01-02T15:04:05Z07:00".
  Cursor c(text);
  auto year = c.Digits(4);
  if (!year || !c.Consume('-')) return std::nullopt;
  auto month = c.Digits(2);
  if (!month || *month < 1 || *month > 12 || !c.Consume('-')) return std::nullopt;
  auto day = c.Digits(2);
  if (!day || !c.Consume('T')) return std::nullopt;
  auto hour = c.OneOrTwoDigits();
  if (!hour || *hour > 23 || !c.Consume(':')) return std::nullopt;
  auto minute = c.Digits(2);
  if (!minute || *minute > 59 || !c.Consume(':')) return std::nullopt;
  auto second = c.Digits(2);
  if (!second || *second > 59) return std::nullopt;

  int32_t nanos = 0;
  std::string_view rest = c.rest();
  if (rest.size() >= 2 && (rest[0] == '.' || rest[0] == ',') && IsDigit(rest[1])) {
    size_t n = 1;
    while (n < rest.size() && IsDigit(rest[n])) ++n;
    // Go keeps the first nine digits and drops the rest without rounding.
    for (size_t i = 1; i <= 9; ++i) nanos = nanos * 10 + (i < n ? rest[i] - '0' : 0);
    c.Skip(n);
  }

  int64_t offset = 0;
  if (!c.Consume('Z')) {
    rest = c.rest();
    if (rest.size() < 6 || rest[3] != ':') return std::nullopt;
    const char sign = rest[0];
    Cursor hh(rest.substr(1, 2));
    Cursor mm(rest.substr(4, 2));
    auto oh = hh.Digits(2);
    auto om = mm.Digits(2);
    // Go allows 24 hours and 60 minutes here: "some people do write them".
    if (!oh || !om || *oh > 24 || *om > 60) return std::nullopt;
    if (sign != '+' && sign != '-') return std::nullopt;
    offset = (*oh * 60 + *om) * 60;
    if (sign == '-') offset = -offset;
    c.Skip(6);
  }
  if (!c.rest().empty()) return std::nullopt;
  if (*day < 1 || *day > DaysInMonth(*month, *year)) return std::nullopt;

  Timestamp ts{FromCivil(*year, *month, *day, *hour, *minute, *second) - offset, nanos, static_cast<int32_t>(offset)};
  if (!TimestampInRange(ts)) return std::nullopt;
  return ts;
}

std::string FormatTimestamp(const Timestamp& ts) {
  Timestamp t = ts;
  if (t.nanos < 0 || t.nanos >= kNanosPerSecond) {
    if (auto n = Normalize(ts.seconds, ts.nanos)) {
      t = *n;
    } else {
      t.nanos = ts.nanos < 0 ? 0 : static_cast<int32_t>(kNanosPerSecond - 1);
    }
  }
  CivilTime c = ToCivil(t.seconds + ts.offset, t.nanos);
  std::string out;
  out.reserve(32);
  // Years outside 1-9999 are written as Go does: "-0001", "10000".
  if (c.year < 0) out.push_back('-');
  AppendPadded(out, c.year < 0 ? 0 - static_cast<uint64_t>(c.year) : static_cast<uint64_t>(c.year), 4);
  out.push_back('-');
  AppendPadded(out, static_cast<uint64_t>(c.month), 2);
  out.push_back('-');
  AppendPadded(out, static_cast<uint64_t>(c.day), 2);
  out.push_back('T');
  AppendPadded(out, static_cast<uint64_t>(c.hour), 2);
  out.push_back(':');
  AppendPadded(out, static_cast<uint64_t>(c.minute), 2);
  out.push_back(':');
  AppendPadded(out, static_cast<uint64_t>(c.second), 2);
  if (t.nanos != 0) {
    std::string frac;
    AppendPadded(frac, static_cast<uint64_t>(t.nanos), 9);
    while (frac.back() == '0') frac.pop_back();
    out.push_back('.');
    out += frac;
  }
  if (ts.offset == 0) {
    out.push_back('Z');
  } else {
    int32_t minutes = (ts.offset < 0 ? -ts.offset : ts.offset) / 60;
    out.push_back(ts.offset < 0 ? '-' : '+');
    AppendPadded(out, static_cast<uint64_t>(minutes / 60), 2);
    out.push_back(':');
    AppendPadded(out, static_cast<uint64_t>(minutes % 60), 2);
  }
  return out;
}

// ---- Durations ------------------------------------------------------------

std::optional<int64_t> ParseDuration(std::string_view s) {
  // Mirrors Go's time.ParseDuration, including its use of a double for the
  // fraction so that "1.1h" and friends come out the same nanosecond.
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;

  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return std::nullopt;

    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (v > kLimit / 10) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) return std::nullopt;
    }
    const bool pre = i > 0;
    s.remove_prefix(i);

    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;  // past here digits add no precision
      size_t j = 0;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return std::nullopt;  // ".s" or "-.s"

    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s[u])) ++u;
    if (u == 0) return std::nullopt;  // missing unit
    const std::string_view name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    if (name == "ns") {
      unit = 1;
    } else if (name == "us" || name == "\xC2\xB5s" || name == "\xCE\xBCs") {
      unit = 1'000;
    } else if (name == "ms") {
      unit = 1'000'000;
    } else if (name == "s") {
      unit = 1'000'000'000;
    } else if (name == "m") {
      unit = 60'000'000'000;
    } else if (name == "h") {
      unit = 3'600'000'000'000;
    } else {
      return std::nullopt;
    }

    if (v > kLimit / unit) return std::nullopt;
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) return std::nullopt;
    }
    if (v > kLimit - total) return std::nullopt;
    total += v;
  }
  if (neg) return static_cast<int64_t>(0 - total);  // 2^63 becomes INT64_MIN
  if (total > kLimit - 1) return std::nullopt;
  return static_cast<int64_t>(total);
}

std::string FormatDuration(int64_t nanos) {
  // cel-go: strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s", where
  // Seconds() is float64(d / 1e9) + float64(d % 1e9) / 1e9. Shortest
  // round-trip fixed notation is the same in std::to_chars.
  const int64_t sec = nanos / kNanosPerSecond;
  const int64_t nsec = nanos % kNanosPerSecond;
  const double seconds = static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), seconds, std::chars_format::fixed);
  if (ec != std::errc()) return "0s";  // not reachable: |seconds| < 1e10
  std::string out(buf, end);
  out.push_back('s');
  return out;
}

// ---- Arithmetic -----------------------------------------------------------

std::optional<Timestamp> AddDuration(const Timestamp& ts, int64_t nanos) {
  // Split the duration so that nothing is ever scaled up to nanoseconds.
  int64_t seconds = 0;
  if (__builtin_add_overflow(ts.seconds, nanos / kNanosPerSecond, &seconds)) return std::nullopt;
  auto out = InRange(Normalize(seconds, int64_t{ts.nanos} + nanos % kNanosPerSecond));
  if (out) out->offset = ts.offset;
  return out;
}

std::optional<Timestamp> SubtractDuration(const Timestamp& ts, int64_t nanos) {
  // Negating the parts, not the whole, keeps INT64_MIN usable.
  int64_t seconds = 0;
  if (__builtin_sub_overflow(ts.seconds, nanos / kNanosPerSecond, &seconds)) return std::nullopt;
  auto out = InRange(Normalize(seconds, int64_t{ts.nanos} - nanos % kNanosPerSecond));
  if (out) out->offset = ts.offset;
  return out;
}

std::optional<int64_t> SubtractTimestamps(const Timestamp& a, const Timestamp& b) {
  int64_t sec = 0;
  if (__builtin_sub_overflow(a.seconds, b.seconds, &sec)) return std::nullopt;
  int64_t nsec = int64_t{a.nanos} - int64_t{b.nanos};
  // Give both parts the same sign so that the multiplication overflows only
  // when the result itself does (INT64_MIN is reachable).
  if (sec < 0 && nsec > 0) {
    ++sec;
    nsec -= kNanosPerSecond;
  } else if (sec > 0 && nsec < 0) {
    --sec;
    nsec += kNanosPerSecond;
  }
  int64_t out = 0;
  if (__builtin_mul_overflow(sec, kNanosPerSecond, &out)) return std::nullopt;
  if (__builtin_add_overflow(out, nsec, &out)) return std::nullopt;
  return out;
}

std::optional<int64_t> AddDurations(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<int64_t> SubtractDurations(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<int64_t> NegateDuration(int64_t nanos) {
  if (nanos == std::numeric_limits<int64_t>::min()) return std::nullopt;
  return -nanos;
}

// ---- Civil time -----------------------------------------------------------

CivilTime ToCivil(int64_t seconds_since_epoch_local, int32_t nanos) {
  const int64_t days = FloorDiv(seconds_since_epoch_local, kSecondsPerDay);
  const int64_t secs_of_day = FloorMod(seconds_since_epoch_local, kSecondsPerDay);
  const YearMonthDay ymd = CivilFromDays(days);
  CivilTime c;
  c.year = ymd.year;
  c.month = ymd.month;
  c.day = ymd.day;
  c.hour = static_cast<int>(secs_of_day / 3600);
  c.minute = static_cast<int>(secs_of_day / 60 % 60);
  c.second = static_cast<int>(secs_of_day % 60);
  c.nanos = nanos;
  c.day_of_week = DayOfWeek(days);
  c.day_of_year = static_cast<int>(days - DaysFromCivil(ymd.year, 1, 1));
  return c;
}

int64_t FromCivil(int64_t year, int month, int day, int hour, int minute, int second) {
  const int64_t m0 = int64_t{month} - 1;
  year += FloorDiv(m0, 12);
  const int m = static_cast<int>(FloorMod(m0, 12)) + 1;
  const int64_t days = DaysFromCivil(year, m, 1) + (int64_t{day} - 1);
  return days * kSecondsPerDay + int64_t{hour} * 3600 + int64_t{minute} * 60 + second;
}

// ---- Time zones -----------------------------------------------------------

TimeZone TimeZone::Fixed(int32_t seconds_east_of_utc) {
  TimeZone tz;
  tz.fixed_offset_ = seconds_east_of_utc;
  return tz;
}

std::optional<TimeZone::PosixTz> TimeZone::ParsePosixTz(std::string_view s) {
  // Mirrors the parsing half of Go's tzset.
  PosixTz tz;
  if (!TzName(s)) return std::nullopt;
  auto std_off = TzOffset(s);
  if (!std_off) return std::nullopt;
  tz.std_offset = -*std_off;  // POSIX counts west, we count east
  if (s.empty() || s[0] == ',') return tz;

  if (!TzName(s)) return std::nullopt;
  if (s.empty() || s[0] == ',') {
    tz.dst_offset = tz.std_offset + 3600;
  } else {
    auto dst_off = TzOffset(s);
    if (!dst_off) return std::nullopt;
    tz.dst_offset = -*dst_off;
  }
  if (s.empty()) s = ",M3.2.0,M11.1.0";  // tzcode's default rules
  if (s[0] != ',' && s[0] != ';') return std::nullopt;
  s.remove_prefix(1);
  auto start = TzRule(s);
  if (!start || s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  auto end = TzRule(s);
  if (!end || !s.empty()) return std::nullopt;
  tz.has_dst = true;
  tz.start = *start;
  tz.end = *end;
  return tz;
}

int32_t TimeZone::PosixOffsetAt(const PosixTz& tz, int64_t unix_seconds) {
  if (!tz.has_dst) return tz.std_offset;
  // As Go does, place both transitions in the UTC year of the instant.
  const int64_t days = FloorDiv(unix_seconds, kSecondsPerDay);
  const int64_t year = CivilFromDays(days).year;
  const int64_t ysec =
      (days - DaysFromCivil(year, 1, 1)) * kSecondsPerDay + FloorMod(unix_seconds, kSecondsPerDay);

  int64_t start = RuleTime(year, tz.start, tz.std_offset);
  int64_t end = RuleTime(year, tz.end, tz.dst_offset);
  int32_t outside = tz.std_offset;
  int32_t inside = tz.dst_offset;
  if (end < start) {  // southern hemisphere: daylight time spans New Year
    std::swap(start, end);
    std::swap(outside, inside);
  }
  return (ysec >= start && ysec < end) ? inside : outside;
}

std::optional<TimeZone> TimeZone::FromTzif(std::string_view data) {
  // Follows Go's LoadLocationFromTZData so that offsets agree with the API
  // server for every instant.
  TzifReader r(data);
  auto magic = r.Bytes(4);
  if (!magic || *magic != "TZif") return std::nullopt;
  auto header = r.Bytes(16);  // version byte, 15 reserved
  if (!header) return std::nullopt;
  const char version = (*header)[0];
  if (version != '\0' && version != '2' && version != '3' && version != '4') return std::nullopt;

  enum { kUtLocal, kStdWall, kLeap, kTime, kType, kChar };
  uint64_t n[6];
  for (auto& count : n) {
    auto v = r.U32();
    if (!v) return std::nullopt;
    count = *v;
  }
  uint64_t time_size = 4;
  if (version != '\0') {
    // Skip the 32-bit block and the second header; the 64-bit block covers
    // more dates.
    const uint64_t skip = n[kTime] * 4 + n[kTime] + n[kType] * 6 + n[kChar] + n[kLeap] * 8 +
                          n[kStdWall] + n[kUtLocal] + 4 + 16;
    if (!r.Bytes(skip)) return std::nullopt;
    for (auto& count : n) {
      auto v = r.U32();
      if (!v) return std::nullopt;
      count = *v;
    }
    time_size = 8;
  }

  auto times = r.Bytes(n[kTime] * time_size);
  auto indices = r.Bytes(n[kTime]);
  auto types = r.Bytes(n[kType] * 6);
  auto abbrev = r.Bytes(n[kChar]);
  auto leaps = r.Bytes(n[kLeap] * (time_size + 4));
  auto isstd = r.Bytes(n[kStdWall]);
  auto isut = r.Bytes(n[kUtLocal]);
  if (!times || !indices || !types || !abbrev || !leaps || !isstd || !isut) return std::nullopt;
  if (n[kType] == 0) return std::nullopt;

  TimeZone tz;
  tz.types_.reserve(static_cast<size_t>(n[kType]));
  for (uint64_t i = 0; i < n[kType]; ++i) {
    std::string_view rec = types->substr(static_cast<size_t>(i * 6), 6);
    if (static_cast<uint8_t>(rec[5]) >= n[kChar]) return std::nullopt;  // abbreviation index
    tz.types_.push_back({static_cast<int32_t>(TzifReader::Be32(rec)), rec[4] != 0});
  }
  tz.transitions_.reserve(static_cast<size_t>(n[kTime]) + 1);
  for (uint64_t i = 0; i < n[kTime]; ++i) {
    Transition t;
    if (time_size == 8) {
      t.when = static_cast<int64_t>(TzifReader::Be64(times->substr(static_cast<size_t>(i * 8), 8)));
    } else {
      t.when = static_cast<int32_t>(TzifReader::Be32(times->substr(static_cast<size_t>(i * 4), 4)));
    }
    t.type = static_cast<uint8_t>((*indices)[static_cast<size_t>(i)]);
    if (t.type >= n[kType]) return std::nullopt;
    tz.transitions_.push_back(t);
  }
  if (tz.transitions_.empty()) {
    // One transition at the beginning of time, so that the footer (if any)
    // governs every instant, as in Go.
    tz.transitions_.push_back({std::numeric_limits<int64_t>::min(), 0});
  }

  std::string_view rest = r.Rest();
  if (rest.size() > 2 && rest.front() == '\n' && rest.back() == '\n') {
    // A footer that does not parse is ignored, as Go ignores it.
    tz.footer_ = ParsePosixTz(rest.substr(1, rest.size() - 2));
  }
  return tz;
}

int TimeZone::FirstType() const {
  // tzcode's choice for instants before the first transition (Go's
  // lookupFirstZone): the first type if no transition uses it, else the
  // standard-time type nearest before the first transition's type, else the
  // first standard-time type, else type 0.
  bool first_used = false;
  for (const Transition& t : transitions_) first_used |= t.type == 0;
  if (!first_used) return 0;
  if (!transitions_.empty() && types_[transitions_[0].type].is_dst) {
    for (int i = transitions_[0].type - 1; i >= 0; --i) {
      if (!types_[static_cast<size_t>(i)].is_dst) return i;
    }
  }
  for (size_t i = 0; i < types_.size(); ++i) {
    if (!types_[i].is_dst) return static_cast<int>(i);
  }
  return 0;
}

int32_t TimeZone::OffsetAt(int64_t unix_seconds) const {
  if (types_.empty()) return fixed_offset_;
  if (transitions_.empty() || unix_seconds < transitions_[0].when) {
    return types_[static_cast<size_t>(FirstType())].offset;
  }
  // Largest transition at or before the instant (Go's search, which also
  // behaves the same on unsorted data).
  size_t lo = 0;
  size_t hi = transitions_.size();
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (unix_seconds < transitions_[mid].when) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  if (lo == transitions_.size() - 1 && footer_) return PosixOffsetAt(*footer_, unix_seconds);
  return types_[transitions_[lo].type].offset;
}

std::optional<TimeZone> LoadTimeZone(std::string_view zone, std::string_view zoneinfo_dir) {
  // cel-go treats anything with a ':' as an offset and never looks it up.
  if (size_t colon = zone.find(':'); colon != std::string_view::npos) {
    auto offset = ParseFixedOffset(zone, colon);
    if (!offset) return std::nullopt;
    return TimeZone::Fixed(*offset);
  }
  // Go's time.LoadLocation: "" and "UTC" are UTC; "Local" is the process's zone, which
  // for the API server in its container is UTC too.
  if (zone.empty() || zone == "UTC" || zone == "Local") return TimeZone();
  if (!IsSafeZoneName(zone) || zoneinfo_dir.empty()) return std::nullopt;
  std::string path(zoneinfo_dir);
  if (path.back() != '/') path.push_back('/');
  path.append(zone);
  auto data = ReadSmallFile(path, kMaxZoneFileBytes);
  if (!data) return std::nullopt;
  return TimeZone::FromTzif(*data);
}

std::optional<int32_t> ZoneOffsetAt(std::string_view zone, int64_t unix_seconds,
                                    std::string_view zoneinfo_dir) {
  auto tz = LoadTimeZone(zone, zoneinfo_dir);
  if (!tz) return std::nullopt;
  return tz->OffsetAt(unix_seconds);
}

std::optional<CivilTime> ToCivilInZone(const Timestamp& ts, std::string_view zone,
                                       std::string_view zoneinfo_dir) {
  auto tz = LoadTimeZone(zone, zoneinfo_dir);
  if (!tz) return std::nullopt;
  int64_t local = 0;
  if (__builtin_add_overflow(ts.seconds, int64_t{tz->OffsetAt(ts.seconds)}, &local)) return std::nullopt;
  return ToCivil(local, ts.nanos);
}

}  // namespace clausegate
