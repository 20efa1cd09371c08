#pragma once
// Runtime internals shared by the planner and the function libraries.

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "cel/runtime/program.h"
#include "cel/values/value.h"

namespace clausegate::cel {

inline constexpr std::string_view kCostExceeded = "cost budget exceeded";  // the work budget
inline constexpr std::string_view kDeadlineExceeded = "evaluation deadline exceeded";

// The state of one evaluation. It keeps two counts: the actual cost as the API
// server counts it (cost.h), limited as there, and the engine's own measure of the
// work done (allocation, walks of shared structure), a budget that bounds what
// the first does not see.
class Frame {
 public:
  Frame(const Activation& activation, Value* locals, int64_t budget, uint64_t cost_limit = UINT64_MAX,
        std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max())
      : activation_(activation), locals_(locals), budget_(budget), cost_limit_(cost_limit), deadline_(deadline) {}
  ~Frame() {
    for (uint32_t used = memo_used_; used != 0; used &= used - 1) Slot(static_cast<size_t>(__builtin_ctz(used))).~FieldMemo();
  }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

  const Activation& activation() const { return activation_; }
  Value& local(size_t slot) { return locals_[slot]; }

  // Adds to the cost of this evaluation; false once the budget is spent.
  bool Charge(int64_t units) {
    if (units < 0 || units > budget_ - cost_) {  // saturating: never overflows
      exhausted_ = true;
      cost_ = budget_;
      return false;
    }
    cost_ += units;
    if (cost_ >= next_clock_check_) CheckDeadline();
    return !exhausted_;
  }
  bool exhausted() const { return exhausted_; }
  bool past_deadline() const { return past_deadline_; }
  int64_t cost() const { return cost_; }

  // Adds to the actual cost; past the limit the evaluation stops.
  // The count stops where it first crosses the limit, as cel-go's tracker does.
  void Observe(uint64_t units) {
    if (over_cost_limit_) return;
    actual_ = units > UINT64_MAX - actual_ ? UINT64_MAX : actual_ + units;
    if (actual_ > cost_limit_) exhausted_ = over_cost_limit_ = true;
  }
  uint64_t actual_cost() const { return actual_; }
  bool over_cost_limit() const { return over_cost_limit_; }
  // What is left of the cost limit: bounds the work of measuring values for it.
  uint64_t cost_headroom() const { return actual_ >= cost_limit_ ? 1 : cost_limit_ - actual_ + 1; }

  // Field lookups on document objects, memoised per evaluation: policies read the
  // same field of the same object many times (c.?securityContext in five checks).
  // `field` must be interned by the planner so that its address identifies it.
  // The planner asks for memoisation only where the same path is read more than once.
  std::optional<Value> FindField(const Value& map, const json::HashedKey& field, bool memoise) {
    // A document's key index answers in a probe or two: nothing to remember.
    if (map.json_indexed()) return map.MapFindKey(field);
    Value::JsonId id = map.json_identity();
    if (!memoise || id.doc == 0) {
      ChargeLookup(map);
      return map.MapFindKey(field);
    }
    uint64_t key = id.doc ^ (id.index * 0x9E3779B97F4A7C15ULL) ^ reinterpret_cast<uintptr_t>(field.text.data());
    size_t i = (key ^ (key >> 17)) % kMemoSlots;
    if (memo_used_ & (uint32_t{1} << i)) {
      FieldMemo& slot = Slot(i);
      if (slot.object == id && slot.field == field.text.data()) return slot.value;
      ChargeLookup(map);
      slot.object = id;
      slot.field = field.text.data();
      slot.value = map.MapFindKey(field);
      return slot.value;
    }
    ChargeLookup(map);
    FieldMemo* slot = new (&memo_[i].memo) FieldMemo{id, field.text.data(), map.MapFindKey(field)};
    memo_used_ |= uint32_t{1} << i;
    return slot->value;
  }

  // Document objects without an index are searched linearly: large ones cost in proportion.
  void ChargeLookup(const Value& map) {
    if (!map.json_indexed()) Charge(static_cast<int64_t>(map.map_size() / 16));
  }

  // What is left of the budget, for work that is counted as it goes.
  WorkBudget Remaining() const { return WorkBudget(budget_ - cost_); }
  // Charges what such work spent; false once the budget is gone.
  bool Settle(const WorkBudget& w) { return Charge(w.spent()) && !w.exhausted(); }

 private:
  struct FieldMemo {
    Value::JsonId object;
    const char* field = nullptr;
    std::optional<Value> value;
  };
  static constexpr size_t kMemoSlots = 32;
  // Most evaluations use a few slots: each is built when first used, not with the frame.
  union MemoStorage {
    MemoStorage() {}
    ~MemoStorage() {}
    FieldMemo memo;
  };
  FieldMemo& Slot(size_t i) { return memo_[i].memo; }

  void CheckDeadline() {
    next_clock_check_ = cost_ + 256;
    if (deadline_ != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() > deadline_) {
      exhausted_ = past_deadline_ = true;
    }
  }

  const Activation& activation_;
  Value* locals_;
  MemoStorage memo_[kMemoSlots];
  uint32_t memo_used_ = 0;  // the slots built
  int64_t budget_;
  uint64_t cost_limit_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t cost_ = 0;
  uint64_t actual_ = 0;
  bool over_cost_limit_ = false;
  int64_t next_clock_check_ = 256;
  bool exhausted_ = false;
  bool past_deadline_ = false;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual Value Eval(Frame& f) const = 0;
  // The constant this node always yields, if any (for plan-time specialisation).
  virtual const Value* constant() const { return nullptr; }
  // For a node whose value already lives in the frame (a local variable): counts
  // it as Eval would and returns where it is, so that a selection reads it without
  // a copy (and its reference count). Null: call Eval.
  virtual const Value* Borrow(Frame&) const { return nullptr; }
  // Where the value already is, counting nothing: lets a parent decide whether it
  // can borrow before anything is counted. Null: not known without evaluating.
  virtual const Value* Peek(Frame&) const { return nullptr; }
};

// Argument kind masks for overload selection.
using KindMask = uint32_t;
constexpr KindMask K(Kind k) { return KindMask{1} << static_cast<unsigned>(k); }
inline constexpr KindMask kAny = ~KindMask{0};

using FunctionImpl = Value (*)(std::span<const Value> args, Frame& frame);

// Work an overload can do once, at compile time, when one of its arguments is a
// literal: compile a regex, load a time zone. The result is kept by the program.
struct Prepared {
  std::shared_ptr<const void> state;  // null: `error` says why the literal is unusable
  std::string error;                  // empty with no state: not prepared, evaluated as usual
};
using PrepareFn = Prepared (*)(const Value& literal);
using PreparedImpl = Value (*)(std::span<const Value> args, const void* state, Frame& frame);

// One overload of a function. Member-style calls pass the receiver as args[0].
struct Overload {
  std::string_view name;
  bool member;
  uint8_t arity;  // including the receiver
  KindMask kinds[4];
  FunctionImpl impl;
  bool variadic = false;  // arity is a minimum; extra arguments match kinds[arity-1]
  // Optional: when args[prepare_arg] is a literal, the planner calls prepare once
  // and evaluation calls prepared_impl with its state instead of impl.
  PrepareFn prepare = nullptr;
  PreparedImpl prepared_impl = nullptr;
  uint8_t prepare_arg = 0;
};

// The function libraries. Each returns a table with static storage duration.
std::span<const Overload> StandardOverloads();
std::span<const Overload> StringOverloads();
std::span<const Overload> MathOverloads();
std::span<const Overload> ListOverloads();
std::span<const Overload> OptionalOverloads();
std::span<const Overload> RegexOverloads();
std::span<const Overload> KubernetesOverloads();
// string.format(): Kubernetes 1.37's formatter, or cel-spec's (see format.h).
std::span<const Overload> FormatOverloads(bool kubernetes);

// sortBy: `items` ordered by their `keys` (same length), stably; the keys must be of
// one comparable kind.
Value SortByKeys(std::vector<Value> items, const std::vector<Value>& keys, Frame& f);

// Common error constructors.
Value NoSuchOverload(std::string_view fn);
Value NoSuchKey(std::string_view key);

}  // namespace clausegate::cel
