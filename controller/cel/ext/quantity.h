#pragma once
// Kubernetes resource quantities ("500m", "1.5Gi", "12e6") with the semantics
// of k8s.io/apimachinery/pkg/api/resource.Quantity, which the Kubernetes CEL
// quantity library exposes (quantity(), isQuantity(), add, sub, compareTo,
// isInteger, asInteger, asApproximateFloat, sign).
//
// Grammar (as resource.ParseQuantity):
//   <quantity>  ::= <sign>? <number> <suffix>
//   <number>    ::= <digits> | <digits> "." <digits>? | "." <digits>
//   <suffix>    ::= "" | n | u | m | k | M | G | T | P | E      (decimal SI)
//                 | Ki | Mi | Gi | Ti | Pi | Ei                 (binary SI)
//                 | (e|E) <sign>? <digits>                      (decimal exponent)
//
// Values are exact: a 128-bit mantissa times a power of ten. Like Go, parsing
// keeps a value only down to 1n, rounding finer non-zero values away from
// zero ("0.1n" is 1n), and silently caps binary-SI values at 2^63-1 ("8Ei").
// Go keeps arbitrarily many digits; here a value whose significant digits
// exceed 127 bits (more than 38 digits) is rejected by Parse and makes
// Add/Sub return nullopt. Inputs longer than kMaxQuantityLength bytes are
// rejected.
//
// Go quirks kept on purpose, so policies behave as on a Kubernetes API server:
//   - "-", "+", ".", "Mi", "Ti" parse as zero; "Pi" and "Ei" do not.
//   - ToString() returns the input unchanged when Go would ("+1Ki", "00100").
//   - An "e" exponent is read as int64 and truncated to 32 bits as Go does.
//   - IsInteger()/AsInteger() follow Go's Quantity.AsInt64, which depends on
//     how Go happens to store the value, not only on the value itself:
//     "1000m" and "1.5Gi" (an integer) are not integers, "1k" and "1Ti" are,
//     "1Pi" is not (Go stores it in its big-decimal form).
// Deliberate differences from Go (v0.37): a decimal-SI value with an exponent
// above 18 prints with an "e" exponent ("1000E" -> "1e21", Go prints "1");
// a binary-SI value above 1024Ei keeps the "Ei" suffix instead of losing it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clausegate::cel::ext {

// Inputs longer than this are rejected without being scanned further.
inline constexpr std::size_t kMaxQuantityLength = 4096;

// How a quantity prints; kept from the parsed suffix, as in Go.
enum class QuantityFormat : std::uint8_t {
  kDecimalExponent,  // 12e6
  kBinarySI,         // 12Mi
  kDecimalSI,        // 12M
};

__extension__ typedef __int128 QuantityMantissa;  // exact, |m| <= 2^127-1

class Quantity {
 public:
  Quantity() = default;  // zero, decimal SI

  // nullopt when resource.ParseQuantity would fail (or the value needs more
  // than 38 significant digits, or the input is too long). When error is
  // given it receives Go's message (e.g. "unable to parse quantity's suffix").
  static std::optional<Quantity> Parse(std::string_view s, std::string* error = nullptr);

  // resource.NewQuantity(v, format). The Kubernetes CEL add(int)/sub(int)
  // overloads use the decimal exponent format, hence the default.
  static Quantity FromInt(int64_t v, QuantityFormat format = QuantityFormat::kDecimalExponent);

  int Compare(const Quantity& other) const;  // -1, 0, 1; exact
  int Sign() const;                          // -1, 0, 1
  bool IsZero() const { return mantissa_ == 0; }
  QuantityFormat Format() const { return format_; }

  // CEL isInteger(): true iff AsInteger() succeeds.
  bool IsInteger() const { return AsInteger().has_value(); }
  // CEL asInteger(): Go's Quantity.AsInt64 (see the quirks above).
  std::optional<int64_t> AsInteger() const;
  // CEL asApproximateFloat(): Go's AsApproximateFloat64, bit for bit; may be
  // +/-Inf for huge values (and NaN where Go yields NaN, e.g. "0e400").
  double AsApproximateFloat() const;

  // Go's Quantity.Add/Sub on a copy: exact; a zero receiver takes the other
  // operand's format. nullopt when the exact result does not fit.
  std::optional<Quantity> Add(const Quantity& other) const;
  std::optional<Quantity> Sub(const Quantity& other) const;

  // Go's Quantity.String(): canonical form in the quantity's format family,
  // e.g. "1.5" -> "1500m", "1024Ki" -> "1Mi", "1000" -> "1k", "1.5Gi" -> "1536Mi".
  std::string ToString() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Compare(b) == 0; }

 private:
  // Go's Quantity.Add and Sub share everything but the sign of the operand.
  std::optional<Quantity> AddSigned(const Quantity& other, bool negate) const;

  // value == mantissa_ * 10^scale_.
  QuantityMantissa mantissa_ = 0;
  int64_t scale_ = 0;
  // Go holds a value either as int64 * 10^scale (its fast path, which
  // AsInt64 understands) or as an inf.Dec; dec_form_ marks the latter.
  // In the int64 form mantissa_/scale_ are exactly Go's, unnormalized.
  bool dec_form_ = false;
  // Scale of Go's inf.Dec (as a power of ten) when dec_form_; it decides how
  // Go rounds in AsApproximateFloat64.
  int64_t go_scale_ = 0;
  QuantityFormat format_ = QuantityFormat::kDecimalSI;
  // The parsed text when Go keeps it as the string form; empty otherwise.
  std::string original_;
};

}  // namespace clausegate::cel::ext
