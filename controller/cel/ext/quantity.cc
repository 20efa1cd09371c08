#include "cel/ext/quantity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace clausegate::cel::ext {
namespace {

using I128 = QuantityMantissa;
__extension__ typedef unsigned __int128 U128;

constexpr U128 kU128Max = ~static_cast<U128>(0);
constexpr U128 kMantissaMax = kU128Max >> 1;  // 2^127-1: negation never overflows
constexpr int64_t kNanoScale = -9;

constexpr std::string_view kErrFormatWrong =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kErrNumeric = "unable to parse numeric part of quantity";
constexpr std::string_view kErrSuffix = "unable to parse quantity's suffix";

U128 Magnitude(I128 v) { return v < 0 ? static_cast<U128>(0) - static_cast<U128>(v) : static_cast<U128>(v); }

I128 Signed(U128 magnitude, bool negative) {
  I128 v = static_cast<I128>(magnitude);  // callers keep magnitude <= kMantissaMax
  return negative ? -v : v;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// a * b when it stays within limit.
bool CheckedMul(U128 a, U128 b, U128 limit, U128* out) {
  if (a != 0 && b > limit / a) return false;
  *out = a * b;
  return true;
}

// a * 10^n when it stays within limit (n may be huge: any n > 38 overflows).
bool CheckedScaleUp(U128 a, int64_t n, U128 limit, U128* out) {
  if (a == 0) {
    *out = 0;
    return true;
  }
  if (n < 0 || n > 38) return false;
  U128 v = a;
  for (int64_t i = 0; i < n; ++i) {
    if (!CheckedMul(v, 10, limit, &v)) return false;
  }
  *out = v;
  return true;
}

int DigitCount(U128 v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string DecimalString(U128 v) {
  std::string s;
  do {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  std::reverse(s.begin(), s.end());
  return s;
}

// Moves factors of ten from the mantissa into the scale.
void StripTens(U128* m, int64_t* s) {
  if (*m == 0) return;
  while (*m % 10 == 0) {
    *m /= 10;
    ++*s;
  }
}

// Go's math.Pow10, including its table-product rounding, so float results
// match Go bit for bit.
double GoPow10(int64_t n) {
  static constexpr double kTab[32] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
                                      1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                      1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
  static constexpr double kPos32[10] = {1e0, 1e32, 1e64, 1e96, 1e128, 1e160, 1e192, 1e224, 1e256, 1e288};
  static constexpr double kNeg32[11] = {1e0,    1e-32,  1e-64,  1e-96,  1e-128, 1e-160,
                                        1e-192, 1e-224, 1e-256, 1e-288, 1e-320};
  if (n >= 0 && n <= 308) return kPos32[n / 32] * kTab[n % 32];
  if (n < 0 && n >= -323) return kNeg32[(-n) / 32] / kTab[(-n) % 32];
  return n > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

// Unsigned big integer (base 2^32, little endian) for the few steps that do
// not fit 128 bits: parsing long inputs, binary-SI printing and float rounding.
class BigUint {
 public:
  static BigUint FromU128(U128 v) {
    BigUint b;
    while (v != 0) {
      b.limbs_.push_back(static_cast<uint32_t>(v));
      v >>= 32;
    }
    return b;
  }
  static BigUint FromDigits(std::string_view digits) {
    BigUint b;
    size_t i = 0;
    while (i < digits.size()) {
      size_t n = std::min<size_t>(9, digits.size() - i);
      uint32_t chunk = 0;
      uint32_t factor = 1;
      for (size_t k = 0; k < n; ++k) {
        chunk = chunk * 10 + static_cast<uint32_t>(digits[i + k] - '0');
        factor *= 10;
      }
      b.MulSmall(factor);
      b.AddSmall(chunk);
      i += n;
    }
    return b;
  }

  bool IsZero() const { return limbs_.empty(); }

  void MulSmall(uint32_t f) {
    if (f == 0) {
      limbs_.clear();
      return;
    }
    uint64_t carry = 0;
    for (uint32_t& limb : limbs_) {
      uint64_t p = static_cast<uint64_t>(limb) * f + carry;
      limb = static_cast<uint32_t>(p);
      carry = p >> 32;
    }
    if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
  }
  void AddSmall(uint32_t a) {
    uint64_t carry = a;
    for (size_t i = 0; i < limbs_.size() && carry != 0; ++i) {
      uint64_t s = static_cast<uint64_t>(limbs_[i]) + carry;
      limbs_[i] = static_cast<uint32_t>(s);
      carry = s >> 32;
    }
    if (carry != 0) limbs_.push_back(static_cast<uint32_t>(carry));
  }
  // Divides in place; returns the remainder.
  uint32_t DivSmall(uint32_t d) {
    uint64_t rem = 0;
    for (size_t i = limbs_.size(); i-- > 0;) {
      uint64_t cur = (rem << 32) | limbs_[i];
      limbs_[i] = static_cast<uint32_t>(cur / d);
      rem = cur % d;
    }
    Trim();
    return static_cast<uint32_t>(rem);
  }
  void MulPow2(int bits) {
    while (bits >= 16) {
      MulSmall(1u << 16);
      bits -= 16;
    }
    if (bits > 0) MulSmall(1u << bits);
  }
  void MulPow10(int64_t n) {
    for (; n >= 9; n -= 9) MulSmall(1000000000u);
    for (; n > 0; --n) MulSmall(10);
  }
  // Divides by 10^n, rounding a non-zero remainder up.
  void DivPow10RoundUp(int64_t n) {
    if (IsZero() || n <= 0) return;
    // A value below 10^n becomes 1 (it is non-zero).
    if (static_cast<double>(n) > static_cast<double>(BitLength()) * 0.30103 + 2) {
      limbs_.assign(1, 1);
      return;
    }
    bool sticky = false;
    for (; n >= 9; n -= 9) sticky |= DivSmall(1000000000u) != 0;
    for (; n > 0; --n) sticky |= DivSmall(10) != 0;
    if (sticky) AddSmall(1);
  }
  // Removes factors of ten; returns how many.
  int64_t StripTens() {
    int64_t count = 0;
    while (!IsZero()) {
      BigUint probe = *this;
      if (probe.DivSmall(10) != 0) break;
      *this = std::move(probe);
      ++count;
    }
    return count;
  }
  bool DivisibleBy1024() const { return !IsZero() && (limbs_[0] & 1023u) == 0; }

  int Compare(const BigUint& o) const {
    if (limbs_.size() != o.limbs_.size()) return limbs_.size() < o.limbs_.size() ? -1 : 1;
    for (size_t i = limbs_.size(); i-- > 0;) {
      if (limbs_[i] != o.limbs_[i]) return limbs_[i] < o.limbs_[i] ? -1 : 1;
    }
    return 0;
  }
  size_t BitLength() const {
    if (limbs_.empty()) return 0;
    uint32_t top = limbs_.back();
    size_t bits = 0;
    while (top != 0) {
      ++bits;
      top >>= 1;
    }
    return (limbs_.size() - 1) * 32 + bits;
  }
  bool ToU128(U128 limit, U128* out) const {
    if (limbs_.size() > 4) return false;
    U128 v = 0;
    for (size_t i = limbs_.size(); i-- > 0;) v = (v << 32) | limbs_[i];
    if (v > limit) return false;
    *out = v;
    return true;
  }
  // Correctly rounded (to nearest, ties to even), like big.Float.Float64.
  double ToDouble() const {
    size_t len = BitLength();
    if (len <= 64) {
      uint64_t v = 0;
      for (size_t i = limbs_.size(); i-- > 0;) v = (v << 32) | limbs_[i];
      return static_cast<double>(v);
    }
    size_t shift = len - 64;
    uint64_t top = 0;
    for (size_t b = 64; b-- > 0;) top = (top << 1) | (Bit(shift + b) ? 1u : 0u);
    bool sticky = false;
    for (size_t b = 0; b < shift && !sticky; ++b) sticky = Bit(b);
    // The sticky bit sits far below the 53-bit rounding point, so one
    // conversion rounds exactly as the full value would.
    if (sticky) top |= 1;
    return std::ldexp(static_cast<double>(top), static_cast<int>(std::min<size_t>(shift, 4096)));
  }
  std::string ToDecimal() const {
    if (IsZero()) return "0";
    BigUint v = *this;
    std::string out;
    while (!v.IsZero()) {
      uint32_t chunk = v.DivSmall(1000000000u);
      for (int i = 0; i < 9; ++i) {
        out.push_back(static_cast<char>('0' + chunk % 10));
        chunk /= 10;
      }
    }
    while (out.size() > 1 && out.back() == '0') out.pop_back();
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  bool Bit(size_t i) const { return (limbs_[i / 32] >> (i % 32)) & 1u; }
  void Trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  }
  std::vector<uint32_t> limbs_;
};

// Sign of a * 10^sa - b * 10^sb, exactly.
int CompareValues(I128 ma, int64_t sa, I128 mb, int64_t sb) {
  int signa = ma < 0 ? -1 : (ma > 0 ? 1 : 0);
  int signb = mb < 0 ? -1 : (mb > 0 ? 1 : 0);
  if (signa != signb) return signa < signb ? -1 : 1;
  if (signa == 0) return 0;
  U128 a = Magnitude(ma);
  U128 b = Magnitude(mb);
  int mag;
  // The position of the leading digit decides unless it is the same, in
  // which case the scales differ by at most 38 and can be aligned.
  int64_t ea = DigitCount(a) + sa;
  int64_t eb = DigitCount(b) + sb;
  if (ea != eb) {
    mag = ea < eb ? -1 : 1;
  } else if (sa == sb) {
    mag = a < b ? -1 : (a > b ? 1 : 0);
  } else if (sa > sb) {
    U128 scaled;
    mag = !CheckedScaleUp(a, sa - sb, kU128Max, &scaled) ? 1 : (scaled < b ? -1 : (scaled > b ? 1 : 0));
  } else {
    U128 scaled;
    mag = !CheckedScaleUp(b, sb - sa, kU128Max, &scaled) ? -1 : (a < scaled ? -1 : (a > scaled ? 1 : 0));
  }
  return signa > 0 ? mag : -mag;
}

// Exact a * 10^sa + b * 10^sb as a normalized (mantissa, scale); false when
// it needs more than 127 bits.
bool AddValues(I128 ma, int64_t sa, I128 mb, int64_t sb, I128* out_m, int64_t* out_s) {
  if (mb == 0 || ma == 0) {
    U128 m = Magnitude(ma == 0 ? mb : ma);
    int64_t s = ma == 0 ? sb : sa;
    bool neg = (ma == 0 ? mb : ma) < 0;
    StripTens(&m, &s);
    *out_m = Signed(m, neg);
    *out_s = m == 0 ? 0 : s;
    return true;
  }
  // Normalizing first keeps the alignment as small as possible.
  U128 a = Magnitude(ma);
  U128 b = Magnitude(mb);
  StripTens(&a, &sa);
  StripTens(&b, &sb);
  int64_t s = std::min(sa, sb);
  if (!CheckedScaleUp(a, sa - s, kMantissaMax, &a) || !CheckedScaleUp(b, sb - s, kMantissaMax, &b)) return false;
  bool nega = ma < 0;
  bool negb = mb < 0;
  U128 m;
  bool neg;
  if (nega == negb) {
    if (a > kMantissaMax - b) return false;
    m = a + b;
    neg = nega;
  } else if (a >= b) {
    m = a - b;
    neg = nega;
  } else {
    m = b - a;
    neg = negb;
  }
  StripTens(&m, &s);
  *out_m = Signed(m, neg && m != 0);
  *out_s = m == 0 ? 0 : s;
  return true;
}

// strconv.ParseInt(s, 10, 64).
bool ParseInt64(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1
                             : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (char c : s) {
    if (!IsDigit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// The pieces Go's parseQuantityString extracts.
struct Scanned {
  bool positive = true;
  std::string_view num;     // integer digits without leading zeros; "0" when none
  std::string_view denom;   // fraction digits
  std::string_view suffix;  // everything after the number
  bool value_has_digit = true;  // Go's slow path needs a digit in the number
};

bool ScanQuantity(std::string_view str, Scanned* out) {
  size_t pos = 0;
  const size_t end = str.size();
  if (pos < end && (str[0] == '-' || str[0] == '+')) {
    out->positive = str[0] != '-';
    ++pos;
  }
  size_t zeros = 0;
  while (pos < end && str[pos] == '0') {
    ++pos;
    ++zeros;
  }
  if (pos >= end) {
    out->num = "0";
    return true;
  }
  size_t i = pos;
  while (i < end && IsDigit(str[i])) ++i;
  out->num = str.substr(pos, i - pos);
  bool had_digits = zeros > 0 || !out->num.empty();
  if (out->num.empty()) out->num = "0";
  pos = i;
  if (pos >= end) return true;
  if (str[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && IsDigit(str[i])) ++i;
    out->denom = str.substr(pos, i - pos);
    pos = i;
  }
  out->value_has_digit = had_digits || !out->denom.empty();
  if (pos >= end) return true;
  const size_t suffix_start = pos;
  constexpr std::string_view kSuffixChars = "eEinumkKMGTP";
  while (pos < end && kSuffixChars.find(str[pos]) != std::string_view::npos) ++pos;
  if (pos < end && (str[pos] == '-' || str[pos] == '+')) ++pos;
  while (pos < end && IsDigit(str[pos])) ++pos;
  if (pos < end) return false;
  out->suffix = str.substr(suffix_start);
  return true;
}

struct Suffix {
  int base = 10;
  int64_t exponent = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

bool InterpretSuffix(std::string_view s, Suffix* out) {
  struct Entry {
    std::string_view text;
    int base;
    int exponent;
  };
  static constexpr Entry kTable[] = {
      {"", 10, 0},    {"n", 10, -9},  {"u", 10, -6},  {"m", 10, -3},  {"k", 10, 3},   {"M", 10, 6},
      {"G", 10, 9},   {"T", 10, 12},  {"P", 10, 15},  {"E", 10, 18},  {"Ki", 2, 10},  {"Mi", 2, 20},
      {"Gi", 2, 30},  {"Ti", 2, 40},  {"Pi", 2, 50},  {"Ei", 2, 60},
  };
  for (const Entry& e : kTable) {
    if (e.text == s) {
      out->base = e.base;
      out->exponent = e.exponent;
      out->format = e.base == 2 ? QuantityFormat::kBinarySI : QuantityFormat::kDecimalSI;
      return true;
    }
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    int64_t parsed;
    if (!ParseInt64(s.substr(1), &parsed)) return false;
    out->base = 10;
    // Go narrows the parsed int64 to int32 without a range check.
    out->exponent = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(parsed)));
    out->format = QuantityFormat::kDecimalExponent;
    return true;
  }
  return false;
}

std::optional<Quantity> Fail(std::string* error, std::string_view message) {
  if (error != nullptr) *error = std::string(message);
  return std::nullopt;
}

constexpr std::string_view kDecimalSuffixes[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
constexpr std::string_view kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

}  // namespace

std::optional<Quantity> Quantity::Parse(std::string_view str, std::string* error) {
  if (str.empty()) return Fail(error, kErrFormatWrong);
  if (str.size() > kMaxQuantityLength) return Fail(error, "quantity is longer than 4096 bytes");
  Quantity q;
  if (str == "0") {
    q.original_ = "0";
    return q;
  }
  Scanned sc;
  if (!ScanQuantity(str, &sc)) return Fail(error, kErrFormatWrong);
  Suffix suffix;
  if (!InterpretSuffix(sc.suffix, &suffix)) return Fail(error, kErrSuffix);
  q.format_ = suffix.format;

  const int64_t num_len = static_cast<int64_t>(sc.num.size());
  const int64_t denom_len = static_cast<int64_t>(sc.denom.size());
  int64_t precision;
  int64_t scale = 0;
  int64_t multiplier = 1;
  if (suffix.base == 10) {
    scale = suffix.exponent;
    precision = 18 - (num_len + denom_len);
  } else if (denom_len == 0) {
    multiplier = int64_t{1} << suffix.exponent;
    precision = 15 - num_len - suffix.exponent * 3 / 10 - 1;
  } else {
    precision = -1;
  }

  // Go's int64 fast path; the representation it picks matters to AsInteger.
  if (precision >= 0 && scale - denom_len >= kNanoScale) {
    scale -= denom_len;
    std::string shifted = std::string(sc.num) + std::string(sc.denom);
    int64_t value;
    U128 product;
    if (ParseInt64(shifted, &value) &&
        CheckedMul(static_cast<U128>(value), static_cast<U128>(multiplier),
                   static_cast<U128>(std::numeric_limits<int64_t>::max()), &product)) {
      int64_t result = static_cast<int64_t>(product);
      q.mantissa_ = sc.positive ? result : -result;
      q.scale_ = scale;
      // Go keeps the input text when it is already in canonical form.
      bool keep;
      if (suffix.base == 2) {
        keep = suffix.exponent % 10 == 0 && (value & 7) != 0;
      } else {
        keep = scale % 3 == 0 && !(shifted.size() >= 3 && shifted.ends_with("000")) && shifted[0] != '0';
      }
      if (keep) q.original_ = std::string(str);
      return q;
    }
  }

  // Go's inf.Dec path: exact arithmetic, then rounding up to 1n.
  if (!sc.value_has_digit) return Fail(error, kErrNumeric);
  BigUint n = BigUint::FromDigits(std::string(sc.num) + std::string(sc.denom));
  int64_t s = -denom_len;
  if (suffix.base == 10) {
    s += suffix.exponent;
  } else {
    n.MulPow2(static_cast<int>(suffix.exponent));
  }
  q.dec_form_ = true;
  if (n.IsZero()) {
    q.go_scale_ = s;
    q.scale_ = 0;
    return q;
  }
  if (s < kNanoScale) {
    n.DivPow10RoundUp(kNanoScale - s);
    s = kNanoScale;
  }
  q.go_scale_ = kNanoScale;
  if (suffix.base == 2) {
    // s is in [-9, 0] here: binary suffixes carry no decimal exponent.
    BigUint cap = BigUint::FromU128(static_cast<U128>(std::numeric_limits<int64_t>::max()));
    cap.MulPow10(-s);
    if (n.Compare(cap) > 0) {
      n = BigUint::FromU128(static_cast<U128>(std::numeric_limits<int64_t>::max()));
      s = 0;
      q.go_scale_ = 0;
    } else {
      BigUint one = BigUint::FromU128(1);
      one.MulPow10(-s);
      if (n.Compare(one) < 0) q.format_ = QuantityFormat::kDecimalSI;
    }
  }
  s += n.StripTens();
  U128 magnitude;
  if (!n.ToU128(kMantissaMax, &magnitude)) {
    return Fail(error, "quantity needs more than 38 significant digits");
  }
  q.mantissa_ = Signed(magnitude, !sc.positive);
  q.scale_ = s;
  return q;
}

Quantity Quantity::FromInt(int64_t v, QuantityFormat format) {
  Quantity q;
  q.mantissa_ = v;
  q.format_ = format;
  return q;
}

int Quantity::Compare(const Quantity& other) const {
  return CompareValues(mantissa_, scale_, other.mantissa_, other.scale_);
}

int Quantity::Sign() const { return mantissa_ < 0 ? -1 : (mantissa_ > 0 ? 1 : 0); }

std::optional<int64_t> Quantity::AsInteger() const {
  if (dec_form_) return std::nullopt;
  if (scale_ == 0) return static_cast<int64_t>(mantissa_);
  if (scale_ < 0) return std::nullopt;
  U128 scaled;
  const U128 limit = static_cast<U128>(std::numeric_limits<int64_t>::max()) + (mantissa_ < 0 ? 1 : 0);
  if (!CheckedScaleUp(Magnitude(mantissa_), scale_, limit, &scaled)) return std::nullopt;
  return mantissa_ < 0 ? static_cast<int64_t>(static_cast<U128>(0) - scaled) : static_cast<int64_t>(scaled);
}

double Quantity::AsApproximateFloat() const {
  double base;
  int64_t exponent;
  if (!dec_form_) {
    base = static_cast<double>(static_cast<int64_t>(mantissa_));
    exponent = scale_;
  } else {
    // Go converts the unscaled big integer of its inf.Dec, then scales.
    exponent = go_scale_;
    if (mantissa_ == 0) {
      base = 0.0;
    } else if (scale_ - go_scale_ > 400) {
      base = std::numeric_limits<double>::infinity();
    } else {
      BigUint unscaled = BigUint::FromU128(Magnitude(mantissa_));
      unscaled.MulPow10(scale_ - go_scale_);
      base = unscaled.ToDouble();
    }
    if (mantissa_ < 0) base = -base;
  }
  if (exponent == 0) return base;
  return base * GoPow10(exponent);
}

std::optional<Quantity> Quantity::Add(const Quantity& other) const { return AddSigned(other, false); }

std::optional<Quantity> Quantity::Sub(const Quantity& other) const { return AddSigned(other, true); }

std::optional<Quantity> Quantity::AddSigned(const Quantity& other, bool negate) const {
  Quantity r = *this;
  r.original_.clear();
  if (r.mantissa_ == 0) r.format_ = other.format_;
  const I128 om = negate ? -other.mantissa_ : other.mantissa_;
  if (!dec_form_ && !other.dec_form_) {
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    if (negate && other.mantissa_ == kMin) {
      if (mantissa_ == 0) {
        // Go negates a copy of the operand, which moves it to inf.Dec.
        r.mantissa_ = om;
        r.scale_ = other.scale_;
        r.dec_form_ = true;
        r.go_scale_ = other.scale_;
        U128 m = Magnitude(r.mantissa_);
        StripTens(&m, &r.scale_);
        r.mantissa_ = Signed(m, false);
        return r;
      }
    } else {
      // Go's int64Amount.Add: exact within int64, else fall through.
      constexpr U128 kI64Max = static_cast<U128>(std::numeric_limits<int64_t>::max());
      auto fits = [](I128 v) {
        return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
      };
      if (om == 0) return r;
      if (mantissa_ == 0) {
        r.mantissa_ = om;
        r.scale_ = other.scale_;
        return r;
      }
      I128 a = mantissa_;
      I128 b = om;
      int64_t s = scale_;
      bool ok = true;
      if (scale_ > other.scale_) {
        U128 scaled;
        ok = CheckedScaleUp(Magnitude(a), scale_ - other.scale_, kI64Max, &scaled);
        a = Signed(scaled, a < 0);
        s = other.scale_;
      } else if (scale_ < other.scale_) {
        U128 scaled;
        ok = CheckedScaleUp(Magnitude(b), other.scale_ - scale_, kI64Max, &scaled);
        b = Signed(scaled, b < 0);
      }
      if (ok && fits(a + b)) {
        r.mantissa_ = a + b;
        r.scale_ = s;
        return r;
      }
    }
  }
  // Go's inf.Dec addition: exact, at the finer of the two scales.
  I128 m;
  int64_t s;
  if (!AddValues(mantissa_, scale_, om, other.scale_, &m, &s)) return std::nullopt;
  r.mantissa_ = m;
  r.scale_ = s;
  r.go_scale_ = std::min(dec_form_ ? go_scale_ : scale_, other.dec_form_ ? other.go_scale_ : other.scale_);
  r.dec_form_ = true;
  return r;
}

std::string Quantity::ToString() const {
  if (!original_.empty()) return original_;
  if (mantissa_ == 0) return "0";
  const std::string sign = mantissa_ < 0 ? "-" : "";
  U128 m = Magnitude(mantissa_);
  int64_t e = scale_;
  StripTens(&m, &e);

  QuantityFormat format = format_;
  if (format == QuantityFormat::kBinarySI) {
    // Small or fractional values print in decimal SI to avoid rounding.
    if (CompareValues(mantissa_, scale_, -1024, 0) > 0 && CompareValues(mantissa_, scale_, 1024, 0) < 0) {
      format = QuantityFormat::kDecimalSI;
    } else if (e < 0) {
      format = QuantityFormat::kDecimalSI;
    } else if (e > 4096) {
      format = QuantityFormat::kDecimalSI;  // out of reach of any real input
    }
  }
  if (format == QuantityFormat::kBinarySI) {
    BigUint v = BigUint::FromU128(m);
    v.MulPow10(e);
    size_t k = 0;
    // Go strips every factor of 1024 and then has no suffix past Ei (and
    // loses it); stopping at Ei keeps the value.
    while (k + 1 < std::size(kBinarySuffixes) && v.DivisibleBy1024()) {
      v.DivSmall(1024);
      ++k;
    }
    return sign + v.ToDecimal() + std::string(kBinarySuffixes[k]);
  }

  // Decimal: exponent lowered to a multiple of three.
  std::string digits = DecimalString(m);
  while (e % 3 != 0) {
    digits.push_back('0');
    --e;
  }
  std::string suffix;
  if (format == QuantityFormat::kDecimalSI && e >= -9 && e <= 18) {
    suffix = std::string(kDecimalSuffixes[(e + 9) / 3]);
  } else if (e != 0) {
    suffix = "e" + std::to_string(e);
  }
  return sign + digits + suffix;
}

}  // namespace clausegate::cel::ext
