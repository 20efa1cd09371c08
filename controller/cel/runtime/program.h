#pragma once
// Compile once, evaluate many.
//
//   Env env;                                  // declarations: variables, function libraries
//   int obj = env.DeclareVariable("object");
//   auto compiled = Compile("object.spec.containers.all(c, ...)", env);
//   Activation act(env); act.Bind(obj, Value::Json(doc->root()));
//   Value v = compiled.program->Evaluate(act);
//
// A Program is immutable and may be evaluated from many threads at once; each
// evaluation has its own Activation and its own cost budget.

#include <chrono>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cel/checker/cost_estimate.h"
#include "cel/checker/declarations.h"
#include "cel/checker/types.h"
#include "cel/syntax/parser.h"
#include "cel/values/value.h"

namespace clausegate::cel {

class Frame;
struct Overload;

// The declarations an expression is compiled against.
class Env {
 public:
  // The profile decides which functions and macros the type checker accepts, and
  // which formatter format() uses. (Defined with the libraries: libraries/environment.cc.)
  explicit Env(checker::Profile profile = checker::Profile::kKubernetes);

  // Declares a variable (a simple or qualified name such as "variables.x") with its
  // static type (dyn unless known) and returns its index for Activation::Bind.
  int DeclareVariable(std::string_view name, checker::Type type = checker::Type::Dyn());
  std::optional<int> FindVariable(std::string_view name) const;
  const checker::Type* FindVariableType(std::string_view name) const;
  // Whether some declared variable's name starts with "<prefix>.", or the prefix
  // was declared a namespace of variables (`variables`, before any is declared).
  bool IsVariablePrefix(std::string_view prefix) const;
  void DeclareNamespace(std::string_view prefix) { prefixes_.emplace(prefix); }
  const checker::Declarations& declarations() const { return *declarations_; }
  size_t variable_count() const { return variables_.size(); }

  // Fixes a declared variable's value at compile time (a policy's params): reads of
  // it become constants, and functions can prepare arguments drawn from it (a regex
  // in params is compiled once). `owner` keeps what the value reads alive; programs
  // compiled against this Env hold it.
  void SetConstant(int index, Value value, std::shared_ptr<const void> owner);
  const Value* FindConstant(int index) const;
  const std::vector<std::shared_ptr<const void>>& constant_owners() const { return owners_; }

  // Overloads of a function by name; empty if none.
  const std::vector<const Overload*>& FindFunction(std::string_view name) const;

 private:
  std::shared_ptr<const checker::Declarations> declarations_;
  std::unordered_map<std::string, int> variables_;
  std::unordered_map<std::string, checker::Type> variable_types_;
  std::unordered_set<std::string> prefixes_;
  std::unordered_map<int, Value> constants_;
  std::vector<std::shared_ptr<const void>> owners_;
  std::unordered_map<std::string_view, std::vector<const Overload*>> functions_;
};

// Values for the declared variables of one evaluation. Not thread-safe: one per
// evaluation context (request).
class Activation {
 public:
  explicit Activation(const Env& env);
  // With `outer`: a variable among the first kInlineSlots that this activation never
  // binds reads as `outer` has it. Many policies see the same request: its values
  // are bound once, and each policy binds only its own. `outer` must outlive it.
  Activation(const Env& env, const Activation* outer);
  static constexpr size_t kInlineSlots = 16;
  ~Activation();
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;

  void Bind(int index, const Value& v);
  void Bind(int index, Value&& v);
  // The provider runs at most once, the first time the variable is read.
  void BindLazy(int index, std::function<Value()> provider);
  // An unbound variable reads as an error ("no value bound to ...").
  Value Get(int index) const;
  // Where the variable's value is kept (a lazy one is evaluated first); null where
  // Get would give an error.
  const Value* Resolve(int index) const;

 private:
  struct Slot {
    Value value;
    std::function<Value()> provider;
    uint8_t state = 0;  // 0 unbound, 1 bound, 2 lazy, 3 evaluating
  };
  // One Activation per matched policy per request: the usual environment's
  // variables fit inline, so that making one allocates nothing. An inline slot is
  // built the first time it is touched: a policy binds a few of its environment's
  // variables, and building and destroying all of them cost more than its checks.
  Slot& At(size_t i) const {
    if (i >= kInlineSlots) return more_[i - kInlineSlots];
    void* at = inline_ + i * sizeof(Slot);
    if (!(built_ >> i & 1)) {
      built_ |= uint32_t{1} << i;
      return *new (at) Slot();
    }
    return *std::launder(static_cast<Slot*>(at));
  }
  // Binds slot `i` to a value made from `v`: built in place when it is first touched.
  template <typename V>
  void Set(size_t i, V&& v) {
    if (i < kInlineSlots && !(built_ >> i & 1)) {
      built_ |= uint32_t{1} << i;
      new (inline_ + i * sizeof(Slot)) Slot{Value(std::forward<V>(v)), {}, 1};
      return;
    }
    Slot& s = At(i);
    s.value = std::forward<V>(v);
    s.state = 1;
  }
  // The activation that serves variable `i` instead of this one, or null.
  const Activation* Outer(size_t i) const {
    return outer_ != nullptr && i < kInlineSlots && !(built_ >> i & 1) ? outer_ : nullptr;
  }

  alignas(Slot) mutable unsigned char inline_[kInlineSlots * sizeof(Slot)];
  mutable uint32_t built_ = 0;  // a bit per inline slot
  mutable std::vector<Slot> more_;
  const Activation* outer_ = nullptr;
};

struct EvalOptions {
  // The actual cost, counted as the API server counts it (cost.h), past which an
  // evaluation stops with "operation cancelled: actual cost limit exceeded":
  // Kubernetes' per-call limit.
  uint64_t cost_limit = 1'000'000;
  // The engine's own bound on the work it does (building and walking values),
  // for what the cost above does not see; past it: "cost budget exceeded".
  int64_t work_budget = 20'000'000;
  // Wall-clock bound: past it the evaluation stops with "evaluation deadline
  // exceeded". Checked every few hundred units of cost, so it costs nothing.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct EvalStats {
  uint64_t cost = 0;  // the actual cost
  int64_t work = 0;   // the engine's measure of work
};

class Node;  // the evaluable form, private to the runtime

class Program {
 public:
  ~Program();
  Value Evaluate(const Activation& activation, const EvalOptions& options = {}, EvalStats* stats = nullptr) const;
  // Whether the expression reads the declared variable (or constant) `index`.
  bool Reads(int index) const { return reads_.count(index) != 0; }

 private:
  friend class Planner;
  Program() = default;
  std::unique_ptr<Node> root_;
  size_t local_count_ = 0;
  std::unordered_set<std::string> names_;  // interned field names (node-based: stable addresses)
  std::vector<std::shared_ptr<const void>> owners_;  // of the Env's constants
  std::unordered_set<int> reads_;                    // declared variables it reads
};

struct CompileOptions {
  // Strict: unknown variables and functions are compile errors (policies). When
  // false they become evaluation errors (as the conformance suite expects).
  bool strict = true;
  // Type-check against the Env's declarations (as the API server checks a
  // ValidatingAdmissionPolicy) before planning; with `strict`, also build the
  // program as the API server does (constant conversions computed, and refused
  // when they fail).
  bool check = true;
  // With `check`: the largest estimated cost (checker/cost_estimate.h) an expression
  // may have; above it the expression is refused. No bound by default: the API
  // server bounds no ValidatingAdmissionPolicy expression on its estimate.
  uint64_t estimated_cost_limit = UINT64_MAX;
  ParseLimits parse;
};

struct CompileError {
  SourcePosition position;
  std::string message;
};

struct CompileResult {
  std::shared_ptr<const Program> program;  // null on error
  std::optional<CompileError> error;
  checker::Type type;  // the checked type of the result (dyn when unchecked or unknown)
  // Kubernetes' estimate of what an evaluation may cost (with `check`).
  std::optional<checker::CostRange> estimated_cost;
};

CompileResult Compile(std::string_view source, const Env& env, const CompileOptions& options = {});

}  // namespace clausegate::cel
