#include "cel/runtime/program.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "cel/checker/checker.h"
#include "cel/runtime/cost.h"
#include "cel/runtime/runtime.h"
#include "common/utf8.h"

namespace clausegate::cel {

// ---------------------------------------------------------------------------
// Env and Activation


int Env::DeclareVariable(std::string_view name, checker::Type type) {
  auto [it, inserted] = variables_.emplace(std::string(name), static_cast<int>(variables_.size()));
  variable_types_[std::string(name)] = std::move(type);
  for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
    prefixes_.emplace(name.substr(0, dot));
  }
  return it->second;
}

const checker::Type* Env::FindVariableType(std::string_view name) const {
  auto it = variable_types_.find(std::string(name));
  return it == variable_types_.end() ? nullptr : &it->second;
}

bool Env::IsVariablePrefix(std::string_view prefix) const { return prefixes_.count(std::string(prefix)) != 0; }

std::optional<int> Env::FindVariable(std::string_view name) const {
  auto it = variables_.find(std::string(name));
  if (it == variables_.end()) return std::nullopt;
  return it->second;
}

void Env::SetConstant(int index, Value value, std::shared_ptr<const void> owner) {
  constants_[index] = std::move(value);
  if (owner) owners_.push_back(std::move(owner));
}

const Value* Env::FindConstant(int index) const {
  auto it = constants_.find(index);
  return it == constants_.end() ? nullptr : &it->second;
}

const std::vector<const Overload*>& Env::FindFunction(std::string_view name) const {
  static const std::vector<const Overload*> kNone;  // empty, never mutated
  auto it = functions_.find(name);
  return it == functions_.end() ? kNone : it->second;
}

Activation::Activation(const Env& env) {
  static_assert(kInlineSlots <= 32, "built_ has a bit per inline slot");
  if (env.variable_count() > kInlineSlots) more_.resize(env.variable_count() - kInlineSlots);
}

Activation::Activation(const Env& env, const Activation* outer) : Activation(env) { outer_ = outer; }

Activation::~Activation() {
  for (uint32_t left = built_; left != 0; left &= left - 1) {
    std::launder(reinterpret_cast<Slot*>(inline_ + static_cast<size_t>(__builtin_ctz(left)) * sizeof(Slot)))->~Slot();
  }
}

void Activation::Bind(int index, const Value& v) { Set(static_cast<size_t>(index), v); }
void Activation::Bind(int index, Value&& v) { Set(static_cast<size_t>(index), std::move(v)); }

void Activation::BindLazy(int index, std::function<Value()> provider) {
  Slot& s = At(static_cast<size_t>(index));
  s.provider = std::move(provider);
  s.state = 2;
}

Value Activation::Get(int index) const {
  if (const Activation* o = Outer(static_cast<size_t>(index))) return o->Get(index);
  Slot& s = At(static_cast<size_t>(index));
  switch (s.state) {
    case 1: return s.value;
    case 2:
      s.state = 3;
      s.value = s.provider();
      s.state = 1;
      return s.value;
    case 3: return Value::Error("variable refers to itself");
    default: return Value::Error("no value bound to variable");
  }
}

const Value* Activation::Resolve(int index) const {
  if (const Activation* o = Outer(static_cast<size_t>(index))) return o->Resolve(index);
  Slot& s = At(static_cast<size_t>(index));
  if (s.state == 2) Get(index);
  return s.state == 1 ? &s.value : nullptr;
}

Value NoSuchOverload(std::string_view fn) {
  return Value::Error("no such overload: " + std::string(fn));
}
Value NoSuchKey(std::string_view key) { return Value::Error("no such key: '" + std::string(key) + "'"); }

// ---------------------------------------------------------------------------
// Nodes

namespace {

using NodePtr = std::unique_ptr<Node>;

class ConstNode : public Node {
 public:
  explicit ConstNode(Value v) : v_(std::move(v)) {}
  Value Eval(Frame&) const override { return v_; }
  const Value* constant() const override { return &v_; }

 private:
  Value v_;
};

// Names cost what cel-go counts for them as attributes (one, or none where the
// attribute is resolved without being a step of its own; see Planner::Plan).
class VariableNode : public Node {
 public:
  VariableNode(int index, uint32_t cost) : index_(index), cost_(cost) {}
  Value Eval(Frame& f) const override {
    f.Observe(cost_);
    return f.activation().Get(index_);
  }
  const Value* Borrow(Frame& f) const override {
    const Value* v = f.activation().Resolve(index_);
    if (v) f.Observe(cost_);  // else Eval counts it, and gives the error
    return v;
  }

 private:
  int index_;
  uint32_t cost_;
};

// A variable fixed at compile time (a policy's params): still an attribute to cel-go,
// so not a constant for the planner's folding.
class ConstantReadNode : public Node {
 public:
  ConstantReadNode(Value v, uint32_t cost) : v_(std::move(v)), cost_(cost) {}
  Value Eval(Frame& f) const override {
    f.Observe(cost_);
    return v_;
  }

 private:
  Value v_;
  uint32_t cost_;
};

class LocalNode : public Node {
 public:
  LocalNode(size_t slot, uint32_t cost) : slot_(slot), cost_(cost) {}
  Value Eval(Frame& f) const override {
    f.Observe(cost_);
    return f.local(slot_);
  }
  const Value* Borrow(Frame& f) const override {
    f.Observe(cost_);
    return &f.local(slot_);
  }
  const Value* Peek(Frame& f) const override { return &f.local(slot_); }

 private:
  size_t slot_;
  uint32_t cost_;
};

// A read of a variable bound lazily, as cel-go binds cel.bind's variable and
// optMap's: its value (or, for optMap, its cost: the target read again and
// value()) is due on the first read, and never if it is not read. The state slot
// holds the pending cost as an int until then.
class LazyLocalNode : public Node {
 public:
  LazyLocalNode(size_t slot, size_t state, const Node* init, uint32_t cost)
      : slot_(slot), state_(state), init_(init), cost_(cost) {}
  Value Eval(Frame& f) const override {
    Value& pending = f.local(state_);
    if (pending.kind() == Kind::kInt) {
      f.Observe(static_cast<uint64_t>(pending.int_value()));
      pending = Value::Null();
      if (init_) f.local(slot_) = init_->Eval(f);
    }
    f.Observe(cost_);
    return f.local(slot_);
  }

 private:
  size_t slot_, state_;
  const Node* init_;  // cel.bind's init expression, owned by its ComprehensionNode
  uint32_t cost_;
};

class ErrorNode : public Node {
 public:
  explicit ErrorNode(std::string msg) : msg_(std::move(msg)) {}
  Value Eval(Frame&) const override { return Value::Error(msg_); }

 private:
  std::string msg_;
};

Value CostError() { return Value::Error(std::string(kCostExceeded)); }
Value UnsupportedListIndex() { return Value::Error("unsupported index type 'string' in list"); }

// Field selection a.b, a.?b and has(a.b), with optional chaining.
class SelectNode : public Node {
 public:
  enum class Mode { kValue, kTest, kOptional };
  // `top`: the unit of an attribute whose root is not a name (f(x).a), counted here.
  SelectNode(NodePtr operand, std::string_view field, Mode mode, bool memoise, uint32_t top)
      : operand_(std::move(operand)), field_(field), mode_(mode), memoise_(memoise), top_(top) {}

  Value Eval(Frame& f) const override {
    Value own;
    const Value* operand = operand_->Borrow(f);
    if (!operand) {
      own = operand_->Eval(f);
      operand = &own;
    }
    f.Observe(top_);
    if (operand->is_error()) return *operand;
    bool chained = false;
    if (operand->kind() == Kind::kOptional) {
      if (!operand->optional_has_value()) return mode_ == Mode::kTest ? Value::Bool(false) : *operand;
      chained = mode_ != Mode::kTest;
      own = operand->optional_value();
      operand = &own;
    }
    const Value& v = *operand;
    // The qualifier costs one when applied; a presence-style one (?., or after one)
    // only when it finds something. A presence test always does.
    bool presence_style = mode_ == Mode::kOptional || chained;
    if (!presence_style) f.Observe(1);
    // As cel-go: a list is indexed by numbers, so a field name is an error however asked.
    if (v.kind() == Kind::kList) return UnsupportedListIndex();
    if (v.kind() != Kind::kMap) {
      // As cel-go: a presence test (has, ?.) on a value without fields finds nothing;
      // a plain selection is a missing key.
      // (A plain selection after an optional one, `.?a.b`, is not a presence test.)
      if (mode_ == Mode::kTest) return Value::Bool(false);
      if (mode_ == Mode::kOptional) return Value::OptionalNone();
      return NoSuchKey(field_.text);
    }
    auto found = f.FindField(v, field_, memoise_);
    if (presence_style && found) f.Observe(1);
    switch (mode_) {
      case Mode::kTest: return Value::Bool(found.has_value());
      case Mode::kOptional: return found ? Value::Optional(std::move(*found)) : Value::OptionalNone();
      case Mode::kValue:
        if (chained) return found ? Value::Optional(std::move(*found)) : Value::OptionalNone();
        if (!found) return NoSuchKey(field_.text);
        return std::move(*found);
    }
    return Value();
  }

  // A plain selection from a map an expression built, held in a local
  // (`x.c` where x is {'path': ..., 'c': container}): the entry itself, counted as
  // Eval counts it, without a copy.
  const Value* Borrow(Frame& f) const override {
    if (mode_ != Mode::kValue) return nullptr;
    const Value* operand = operand_->Peek(f);
    if (!operand) return nullptr;
    const Value* found = operand->BuiltMapValue(field_.text);
    if (!found) return nullptr;
    operand_->Borrow(f);
    f.Observe(top_);
    f.Observe(1);
    f.ChargeLookup(*operand);
    return found;
  }

 private:
  NodePtr operand_;
  json::HashedKey field_;  // its text interned in the Program
  Mode mode_;
  bool memoise_;
  uint32_t top_;
};

// `root.?f1.?f2...?fn.orValue(default)` in one step: the commonest shape in
// Kubernetes policies, evaluated without building the intermediate optionals.
class OptionalPathNode : public Node {
 public:
  OptionalPathNode(NodePtr root, const std::vector<std::string_view>& fields, std::vector<bool> memoise,
                   NodePtr fallback, uint32_t top)
      : root_(std::move(root)), fields_(fields.begin(), fields.end()), memoise_(memoise.begin(), memoise.end()),
        fallback_(std::move(fallback)), top_(top) {}

  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return CostError();
    // orValue evaluates its argument only when the optional is empty (as cel-go).
    Value v;
    const Value* at = root_->Borrow(f);
    if (!at) {
      v = root_->Eval(f);
      at = &v;
    }
    f.Observe(top_);
    if (at->is_error()) return *at;
    if (at->kind() == Kind::kOptional) {
      if (!at->optional_has_value()) return fallback_->Eval(f);
      v = at->optional_value();
      at = &v;
    }
    if (at->kind() == Kind::kMap && at->json_indexed()) {
      // A document object: the path is followed in its key index, and only its end
      // is built. Counted as the steps below count.
      size_t found = 0;
      bool at_list = false;
      std::optional<Value> end = at->IndexedPath(fields_, &found, &at_list);
      for (size_t i = 0; i < found; ++i) f.Observe(1);
      if (end) return std::move(*end);
      if (at_list) return UnsupportedListIndex();
      return fallback_->Eval(f);
    }
    for (size_t i = 0; i < fields_.size(); ++i) {
      // ?. on a value without fields (null, a number) finds nothing; a list refuses a name.
      if (at->kind() == Kind::kList) return UnsupportedListIndex();
      if (at->kind() != Kind::kMap) return fallback_->Eval(f);
      auto found = f.FindField(*at, fields_[i], memoise_[i]);
      if (!found) return fallback_->Eval(f);
      f.Observe(1);  // each ?. qualifier that finds its field
      v = std::move(*found);
      at = &v;
    }
    return at == &v ? std::move(v) : *at;
  }

 private:
  NodePtr root_;
  std::vector<json::HashedKey> fields_;  // their text interned in the Program
  std::vector<uint8_t> memoise_;          // per field: is this path read elsewhere too? (bytes: read per step)
  NodePtr fallback_;
  uint32_t top_;
};

// Converts an index to a list position; nullopt if it is not an integral number.
std::optional<int64_t> ListIndex(const Value& k) {
  switch (k.kind()) {
    case Kind::kInt: return k.int_value();
    case Kind::kUint:
      if (k.uint_value() > static_cast<uint64_t>(INT64_MAX)) return -1;
      return static_cast<int64_t>(k.uint_value());
    case Kind::kDouble: {
      double d = k.double_value();
      if (d != std::trunc(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
      return static_cast<int64_t>(d);
    }
    default: return std::nullopt;
  }
}

// a[k] and a[?k]. Document lists are walked to the position and document
// objects scanned, so both are charged in proportion.
Value Index(const Value& container, const Value& key, bool optional, Frame& f) {
  if (container.is_error()) return container;
  if (key.is_error()) return key;
  Value c = container;
  bool chained = optional;
  if (c.kind() == Kind::kOptional) {
    if (!c.optional_has_value()) return c;
    c = c.optional_value();
    chained = true;
  }
  if (c.kind() == Kind::kList) {
    auto i = ListIndex(key);
    if (!i) return NoSuchOverload("_[_]");
    // Document arrays are walked to the index: charge what is walked, never more than the list.
    if (*i > 0 && !f.Charge(std::min<int64_t>(*i, static_cast<int64_t>(c.list_size())) / 16)) return CostError();
    if (*i < 0 || static_cast<size_t>(*i) >= c.list_size()) {
      if (chained) return Value::OptionalNone();
      return Value::Error("index out of range: " + std::to_string(*i));
    }
    Value e = c.list_at(static_cast<size_t>(*i));
    return chained ? Value::Optional(std::move(e)) : e;
  }
  if (c.kind() == Kind::kMap) {
    if (!(key.is_numeric() || key.kind() == Kind::kBool || key.kind() == Kind::kString)) {
      if (chained) return Value::OptionalNone();
      return Value::Error("no such key: unsupported key type");
    }
    f.ChargeLookup(c);
    auto found = c.MapFind(key);
    if (!found) {
      if (chained) return Value::OptionalNone();
      return NoSuchKey(ValueToString(key));
    }
    return chained ? Value::Optional(std::move(*found)) : std::move(*found);
  }
  // As cel-go: an optional index into a value that cannot be indexed finds nothing.
  if (chained) return Value::OptionalNone();
  return NoSuchOverload("_[_]");
}

class IndexNode : public Node {
 public:
  IndexNode(NodePtr c, NodePtr k, bool optional, uint32_t top)
      : c_(std::move(c)), k_(std::move(k)), optional_(optional), top_(top) {}
  Value Eval(Frame& f) const override {
    Value c = c_->Eval(f);
    f.Observe(top_);
    if (c.is_error()) return c;
    // An empty optional ends the chain: the key is never evaluated (as cel-go's attributes).
    if (c.kind() == Kind::kOptional && !c.optional_has_value()) return c;
    Value r = Index(c, k_->Eval(f), optional_, f);
    // As a select: one when applied, or, presence-style, when it finds an element.
    bool presence_style = optional_ || c.kind() == Kind::kOptional;
    if (!presence_style || (r.kind() == Kind::kOptional && r.optional_has_value())) f.Observe(1);
    return r;
  }

 private:
  NodePtr c_, k_;
  bool optional_;
  uint32_t top_;
};

// opt.or(other) and opt.orValue(fallback): the argument is evaluated only when the
// optional is empty (cel-go plans them so).
class OptionalOrNode : public Node {
 public:
  OptionalOrNode(NodePtr optional, NodePtr alternative, bool value)
      : optional_(std::move(optional)), alternative_(std::move(alternative)), value_(value) {}
  Value Eval(Frame& f) const override {
    Value o = optional_->Eval(f);
    if (o.is_error()) return o;
    if (o.kind() != Kind::kOptional) return NoSuchOverload(value_ ? "orValue" : "or");
    if (o.optional_has_value()) return value_ ? o.optional_value() : o;
    Value alt = alternative_->Eval(f);
    if (!value_ && !alt.is_error() && alt.kind() != Kind::kOptional) return NoSuchOverload("or");
    return alt;
  }

 private:
  NodePtr optional_, alternative_;
  bool value_;
};

// && and || : errors are absorbed when the other side decides the result.
class LogicNode : public Node {
 public:
  LogicNode(NodePtr l, NodePtr r, bool is_and) : l_(std::move(l)), r_(std::move(r)), and_(is_and) {}
  Value Eval(Frame& f) const override {
    Value l = l_->Eval(f);
    if (l.kind() == Kind::kBool && l.bool_value() != and_) return l;  // short circuit
    Value r = r_->Eval(f);
    if (r.kind() == Kind::kBool && r.bool_value() != and_) return r;
    if (l.kind() == Kind::kBool && r.kind() == Kind::kBool) return r;
    if (l.is_error()) return l;
    if (r.is_error()) return r;
    return NoSuchOverload(and_ ? "_&&_" : "_||_");
  }

 private:
  NodePtr l_, r_;
  bool and_;
};

class NotNode : public Node {
 public:
  explicit NotNode(NodePtr e) : e_(std::move(e)) {}
  Value Eval(Frame& f) const override {
    Value v = e_->Eval(f);
    f.Observe(1);
    if (v.kind() == Kind::kBool) return Value::Bool(!v.bool_value());
    if (v.is_error()) return v;
    return NoSuchOverload("!_");
  }

 private:
  NodePtr e_;
};

class ConditionalNode : public Node {
 public:
  ConditionalNode(NodePtr c, NodePtr t, NodePtr e) : c_(std::move(c)), t_(std::move(t)), e_(std::move(e)) {}
  Value Eval(Frame& f) const override {
    Value c = c_->Eval(f);
    if (c.kind() == Kind::kBool) return c.bool_value() ? t_->Eval(f) : e_->Eval(f);
    if (c.is_error()) return c;
    return NoSuchOverload("_?_:_");
  }

 private:
  NodePtr c_, t_, e_;
};

class EqualsNode : public Node {
 public:
  EqualsNode(NodePtr l, NodePtr r, bool negate) : l_(std::move(l)), r_(std::move(r)), negate_(negate) {}
  Value Eval(Frame& f) const override {
    // Both sides are evaluated, as cel-go does, so that both are counted (a braced
    // list runs left to right); priced where they stand, without copies.
    std::array<Value, 2> lr{l_->Eval(f), r_->Eval(f)};
    const Value& l = lr[0];
    const Value& r = lr[1];
    f.Observe(EqualityCost(lr, negate_, f.cost_headroom()));
    if (l.is_error()) return l;
    if (r.is_error()) return r;
    WorkBudget work = f.Remaining();
    bool eq = ValuesEqual(l, r, &work);
    if (!f.Settle(work)) return CostError();
    return Value::Bool(eq != negate_);
  }

 private:
  NodePtr l_, r_;
  bool negate_;
};

class CompareNode : public Node {
 public:
  enum class Op { kLt, kLe, kGt, kGe };
  CompareNode(NodePtr l, NodePtr r, Op op, std::string_view name, CallCost cost)
      : l_(std::move(l)), r_(std::move(r)), op_(op), name_(name), cost_(cost) {}
  Value Eval(Frame& f) const override {
    std::array<Value, 2> lr{l_->Eval(f), r_->Eval(f)};
    const Value& l = lr[0];
    const Value& r = lr[1];
    f.Observe(CostOfCall(cost_, lr, Value(), f.cost_headroom()));
    if (l.is_error()) return l;
    if (r.is_error()) return r;
    Order o = CompareValues(l, r);
    switch (o) {
      case Order::kNoOverload: return NoSuchOverload(name_);
      case Order::kUnordered: return Value::Error("NaN values cannot be ordered");  // as cel-go
      case Order::kLess: return Value::Bool(op_ == Op::kLt || op_ == Op::kLe);
      case Order::kEqual: return Value::Bool(op_ == Op::kLe || op_ == Op::kGe);
      case Order::kGreater: return Value::Bool(op_ == Op::kGt || op_ == Op::kGe);
    }
    return Value();
  }

 private:
  NodePtr l_, r_;
  Op op_;
  std::string_view name_;
  CallCost cost_;
};

class InNode : public Node {
 public:
  InNode(NodePtr e, NodePtr c, CallCost cost) : e_(std::move(e)), c_(std::move(c)), cost_(cost) {}
  Value Eval(Frame& f) const override {
    std::array<Value, 2> ec{e_->Eval(f), c_->Eval(f)};
    const Value& e = ec[0];
    const Value& c = ec[1];
    f.Observe(CostOfCall(cost_, ec, Value(), f.cost_headroom()));
    if (e.is_error()) return e;
    if (c.is_error()) return c;
    if (c.kind() == Kind::kList) {
      bool found = false;
      WorkBudget work = f.Remaining();
      c.ForEachElement([&](const Value& v) {
        found = ValuesEqual(e, v, &work);
        return !found && !work.exhausted();
      });
      if (!f.Settle(work)) return CostError();
      return Value::Bool(found);
    }
    if (c.kind() == Kind::kMap) {
      f.ChargeLookup(c);
      if (!f.Charge(1)) return CostError();
      return Value::Bool(c.MapFind(e).has_value());
    }
    return NoSuchOverload("@in");
  }

 private:
  NodePtr e_, c_;
  CallCost cost_;
};

class ListNode : public Node {
 public:
  ListNode(std::vector<NodePtr> elems, std::vector<bool> optional)
      : elems_(std::move(elems)), optional_(std::move(optional)) {}
  Value Eval(Frame& f) const override {
    f.Observe(kListCreateCost);
    if (!f.Charge(static_cast<int64_t>(elems_.size()))) return CostError();
    std::vector<Value> out;
    out.reserve(elems_.size());
    for (size_t i = 0; i < elems_.size(); ++i) {
      Value v = elems_[i]->Eval(f);
      if (v.is_error()) return v;
      if (optional_[i]) {
        if (v.kind() != Kind::kOptional) return NoSuchOverload("optional list element");
        if (!v.optional_has_value()) continue;
        out.push_back(v.optional_value());
      } else {
        out.push_back(std::move(v));
      }
    }
    return Value::List(std::move(out));
  }

 private:
  std::vector<NodePtr> elems_;
  std::vector<bool> optional_;
};

class MapNode : public Node {
 public:
  struct Entry {
    NodePtr key, value;
    bool optional;
  };
  explicit MapNode(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  Value Eval(Frame& f) const override {
    f.Observe(kMapCreateCost);
    if (!f.Charge(static_cast<int64_t>(entries_.size()))) return CostError();
    std::vector<std::pair<Value, Value>> out;
    out.reserve(entries_.size());
    for (const Entry& e : entries_) {
      Value k = e.key->Eval(f);
      if (k.is_error()) return k;
      Value v = e.value->Eval(f);
      if (v.is_error()) return v;
      if (e.optional) {
        if (v.kind() != Kind::kOptional) return NoSuchOverload("optional map entry");
        if (!v.optional_has_value()) continue;
        v = v.optional_value();
      }
      out.emplace_back(std::move(k), std::move(v));
    }
    return Value::Map(std::move(out));
  }

 private:
  std::vector<Entry> entries_;
};

class CallNode : public Node {
 public:
  // `stops_at_error`: the call stops at its first failed argument, uncounted, as
  // cel-go's calls of three or more arguments do (and its compiled regex calls).
  CallNode(std::string name, std::vector<const Overload*> overloads, std::vector<NodePtr> args, CallCost cost,
           bool stops_at_error = false)
      : name_(std::move(name)), overloads_(std::move(overloads)), args_(std::move(args)), cost_(cost),
        stops_at_error_(stops_at_error || args_.size() > 2) {}

  // Argument `i` is always `v` (a literal, params.pattern): measured once, here.
  void SetKnownSize(size_t i, const Value& v) {
    if (i < kKnownSizes && v.kind() != Kind::kOptional) known_sizes_[i] = ActualSize(v);
  }

  // An overload that prepared a literal argument at compile time (see
  // Overload::prepare); it is tried first, with its state.
  bool all_arguments_constant() const {
    return std::all_of(args_.begin(), args_.end(), [](const NodePtr& a) { return a->constant() != nullptr; });
  }

  void SetPrepared(const Overload* o, std::shared_ptr<const void> state) {
    prepared_ = o;
    prepared_state_ = std::move(state);
  }

  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return CostError();
    switch (args_.size()) {
      case 0: return Counted(std::span<const Value>(), Dispatch(std::span<const Value>(), f), f);
      case 1: return EvalFixed<1>(f);
      case 2: return EvalFixed<2>(f);
      case 3: return EvalFixed<3>(f);
      default: break;
    }
    std::vector<Value> vals(args_.size());
    for (size_t i = 0; i < args_.size(); ++i) {
      vals[i] = args_[i]->Eval(f);
      if (vals[i].is_error()) return i + 1 < args_.size() ? vals[i] : Counted(vals, vals[i], f);
    }
    return Counted(vals, Dispatch(vals, f), f);
  }

  // Arguments in a fixed-size local array: no allocation on the common arities.
  // As cel-go: a call of one or two arguments evaluates both before it fails on
  // an error, and counts its own cost; a longer one stops at the error, and is
  // counted only if that was its last argument.
  template <size_t N>
  Value EvalFixed(Frame& f) const {
    Value vals[N];
    std::span<const Value> args(vals, N);
    size_t failed = N;
    for (size_t i = 0; i < N; ++i) {
      vals[i] = args_[i]->Eval(f);
      if (vals[i].is_error() && failed == N) {
        failed = i;
        if (stops_at_error_ && i + 1 < N) return vals[i];  // arguments left unevaluated: uncounted
      }
    }
    if (failed != N) return Counted(args, vals[failed], f);
    return Counted(args, Dispatch(args, f), f);
  }

  Value Counted(std::span<const Value> args, Value result, Frame& f) const {
    switch (cost_) {
      case CallCost::kUnit: f.Observe(1); return result;  // most calls: no value to measure
      // The commonest priced calls, a string and a literal pattern (or none): measured here.
      case CallCost::kRegex:
        if (args.size() == 2 && known_sizes_[0] == kUnknownSize && known_sizes_[1] != kUnknownSize &&
            args[0].kind() == Kind::kString) {
          f.Observe(RegexCost(utf8::Length(args[0].string_value()), known_sizes_[1]));
          return result;
        }
        break;
      case CallCost::kTenthOfFirst:
        if (!args.empty() && known_sizes_[0] == kUnknownSize && args[0].kind() == Kind::kString) {
          f.Observe(Ceil(static_cast<double>(utf8::Length(args[0].string_value())) * 0.1));
          return result;
        }
        break;
      default: break;
    }
    f.Observe(CostOfCall(cost_, args, result, f.cost_headroom(), known_sizes_));
    return result;
  }

  Value Dispatch(std::span<const Value> args, Frame& f) const {
    if (prepared_ && Matches(*prepared_, args)) {
      Value r = prepared_->prepared_impl(args, prepared_state_.get(), f);
      if (f.exhausted()) return CostError();
      return r;
    }
    for (const Overload* o : overloads_) {
      if (Matches(*o, args)) {
        Value r = o->impl(args, f);
        if (f.exhausted()) return CostError();
        return r;
      }
    }
    return NoSuchOverload(name_);
  }

  static bool Matches(const Overload& o, std::span<const Value> args) {
    for (size_t i = 0; i < args.size(); ++i) {
      KindMask m = o.kinds[std::min<size_t>(i, o.arity - 1)];
      if (!(m & K(args[i].kind()))) return false;
    }
    return true;
  }

 private:
  std::string name_;
  std::vector<const Overload*> overloads_;
  std::vector<NodePtr> args_;
  CallCost cost_;
  bool stops_at_error_;
  // The sizes of constant arguments (a literal pattern, params.x), for pricing.
  static constexpr size_t kKnownSizes = 2;
  uint64_t known_sizes_[kKnownSizes] = {kUnknownSize, kUnknownSize};
  const Overload* prepared_ = nullptr;
  std::shared_ptr<const void> prepared_state_;
};

// What cel-go's expansion of a macro costs besides its range and its bodies (see
// Planner::MacroCostOf), in units observed one by one and in cel-go's order, so
// that a count stopped by the limit stops where cel-go's does.
struct MacroCost {
  uint32_t start = 0;      // once, before the loop
  uint32_t condition = 0;  // before each element, and once more when the loop stops early
  uint32_t step = 0;       // each element, before its predicate
  uint32_t kept = 0;       // each element the filter keeps (exists_one: whose predicate holds), before the transform
  bool list = false;       // then a list built around the element or the transform (r + [t])
  uint32_t completed = 0;  // then, once the transform is evaluated
  uint32_t result = 0;     // once, at the end
  CallCost sort = CallCost::kUnit;  // sortBy's call that orders by the keys
};

void ObserveUnits(Frame& f, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) f.Observe(1);
}

// The macros. Iteration variables live in local slots.
class ComprehensionNode : public Node {
 public:
  ComprehensionNode(MacroKind macro, NodePtr range, size_t slot1, std::optional<size_t> slot2,
                    std::optional<size_t> lazy_state, NodePtr pred, NodePtr transform, bool map_entries, MacroCost cost)
      : macro_(macro), range_(std::move(range)), slot1_(slot1), slot2_(slot2), lazy_state_(lazy_state),
        pred_(std::move(pred)), transform_(std::move(transform)), map_entries_(map_entries), cost_(cost) {}

  Value Eval(Frame& f) const override {
    if (macro_ == MacroKind::kBind) {
      f.local(*lazy_state_) = Value::Int(0);  // the init expression is due on the first read
      return transform_->Eval(f);
    }
    uint64_t before = f.actual_cost();
    if (macro_ != MacroKind::kOptMap && macro_ != MacroKind::kOptFlatMap) {
      // A range kept in the frame (a variable, a loop variable) is walked where it is.
      if (const Value* kept = range_->Borrow(f)) return IterateRange(*kept, f);
    }
    Value range = range_->Eval(f);
    switch (macro_) {
      case MacroKind::kOptMap:
      case MacroKind::kOptFlatMap: return OptionalMap(std::move(range), f.actual_cost() - before, f);
      default: break;
    }
    return IterateRange(range, f);
  }

 private:
  Value IterateRange(const Value& range, Frame& f) const {
    if (range.is_error()) return range;
    if (range.kind() != Kind::kList && range.kind() != Kind::kMap) return NoSuchOverload("comprehension range");
    if (macro_ == MacroKind::kSortBy && range.kind() != Kind::kList) return NoSuchOverload("@sortByAssociatedKeys");
    return Iterate(range, f);
  }

  // cel-go expands o.optMap(x, e) to
  //   o.hasValue() ? optional.of(cel.bind(x, o.value(), e)) : optional.none()
  // (optFlatMap without optional.of), so the target is counted twice when it has a value.
  Value OptionalMap(Value range, uint64_t range_cost, Frame& f) const {
    f.Observe(1);  // hasValue()
    if (range.is_error()) return range;
    if (range.kind() != Kind::kOptional) return NoSuchOverload(macro_ == MacroKind::kOptMap ? "optMap" : "optFlatMap");
    if (!range.optional_has_value()) {
      f.Observe(1);  // optional.none()
      return range;
    }
    f.local(slot1_) = range.optional_value();
    f.local(*lazy_state_) = Value::Int(static_cast<int64_t>(range_cost + 1));  // o.value(), if x is read
    Value r = transform_->Eval(f);
    if (macro_ == MacroKind::kOptMap) f.Observe(1);  // optional.of
    if (r.is_error() || macro_ == MacroKind::kOptFlatMap) {
      if (!r.is_error() && r.kind() != Kind::kOptional) return NoSuchOverload("optFlatMap");
      return r;
    }
    return Value::Optional(std::move(r));
  }

  // Binds the loop variables for one step: (elem) / (index, elem) for lists,
  // (key) / (key, value) for maps.
  void BindStep(Frame& f, const Value& first, const Value& second) const {
    f.local(slot1_) = first;
    if (slot2_) f.local(*slot2_) = second;
  }

  // As cel-go, a loop goes on past an error (its result is that error) unless the
  // macro's condition stops it, so that every element is counted.
  Value Iterate(const Value& range, Frame& f) const {
    bool is_list = range.kind() == Kind::kList;
    size_t size = is_list ? range.list_size() : range.map_size();
    Value result;
    std::optional<Value> error;
    bool done = false;
    int64_t count = 0;
    std::vector<Value> list_out;
    // map() and transformList() without a filter give one element per step.
    if (!pred_ && (macro_ == MacroKind::kMap || macro_ == MacroKind::kTransformList)) list_out.reserve(size);
    std::vector<std::pair<Value, Value>> map_out;
    std::vector<Value> keys;  // sortBy
    int64_t index = 0;
    size_t steps = 0;
    auto fail = [&](Value e) {
      if (!error) error = std::move(e);
    };
    ObserveUnits(f, cost_.start);
    // After the transform: the list around it, then the rest.
    auto kept_done = [&] {
      if (cost_.list) f.Observe(kListCreateCost);
      ObserveUnits(f, cost_.completed);
    };

    auto step = [&](const Value& a, const Value& b) -> bool {
      if (!f.Charge(1)) {
        done = true;
        return false;
      }
      ++steps;
      ObserveUnits(f, cost_.condition);
      ObserveUnits(f, cost_.step);
      BindStep(f, a, b);
      switch (macro_) {
        case MacroKind::kAll:
        case MacroKind::kExists: {
          bool decisive = macro_ == MacroKind::kExists;  // exists stops on true, all on false
          Value p = pred_->Eval(f);
          if (p.kind() == Kind::kBool) {
            if (p.bool_value() == decisive) {
              result = p;
              done = true;
              return false;
            }
          } else {
            fail(p.is_error() ? p : NoSuchOverload(decisive ? "exists" : "all"));
          }
          return true;
        }
        case MacroKind::kExistsOne: {
          Value p = pred_->Eval(f);
          if (p.kind() != Kind::kBool) {
            fail(p.is_error() ? p : NoSuchOverload("exists_one"));
          } else if (p.bool_value()) {
            ObserveUnits(f, cost_.kept);
            ++count;
          }
          return true;
        }
        case MacroKind::kSortBy: {
          ObserveUnits(f, cost_.kept);
          Value key = transform_->Eval(f);
          kept_done();
          if (key.is_error()) fail(key);
          if (error) return true;
          list_out.push_back(a);
          keys.push_back(std::move(key));
          return true;
        }
        case MacroKind::kMap:
        case MacroKind::kFilter:
        case MacroKind::kTransformList:
        case MacroKind::kTransformMap: {
          if (pred_) {
            Value p = pred_->Eval(f);
            if (p.kind() != Kind::kBool) {
              fail(p.is_error() ? p : NoSuchOverload("filter"));
              return true;
            }
            if (!p.bool_value()) return true;
          }
          if (macro_ == MacroKind::kTransformMap && !map_entries_ && error) {
            // cel.@mapInsert(r, k, t) stops at r, already the error: only r is read.
            f.Observe(1);
            return true;
          }
          ObserveUnits(f, cost_.kept);
          if (macro_ == MacroKind::kFilter) {
            kept_done();
            if (!error) list_out.push_back(a);
            return true;
          }
          Value t = transform_->Eval(f);
          kept_done();
          if (t.is_error()) {
            fail(t);
            return true;
          }
          if (error) return true;
          if (macro_ == MacroKind::kTransformMap && map_entries_) {
            // transformMapEntry: the transform gives entries to add; a key given twice is an error.
            if (t.kind() != Kind::kMap) {
              fail(NoSuchOverload("cel.@mapInsert"));
              return true;
            }
            t.ForEachEntry([&](const Value& k, const Value& v) {
              for (const auto& [known, unused] : map_out) {
                if (!f.Charge(1)) return false;
                if (ValuesEqual(known, k)) {
                  fail(Value::Error("insert failed: key " + ValueToString(k) + " already exists"));
                  return false;
                }
              }
              map_out.emplace_back(k, v);
              return true;
            });
            return !f.exhausted();
          }
          if (macro_ == MacroKind::kTransformMap) {
            map_out.emplace_back(a, std::move(t));
          } else {
            list_out.push_back(std::move(t));
          }
          return true;
        }
        default: return false;
      }
    };

    if (is_list) {
      range.ForEachElement([&](const Value& e) {
        bool more = slot2_ ? step(Value::Int(index), e) : step(e, Value());
        ++index;
        return more;
      });
    } else {
      range.ForEachEntry([&](const Value& k, const Value& v) { return step(k, v); });
    }
    if (f.exhausted()) return CostError();
    if (done && steps < size) ObserveUnits(f, cost_.condition);  // the condition that stopped the loop
    ObserveUnits(f, cost_.result);
    switch (macro_) {
      case MacroKind::kAll:
      case MacroKind::kExists:
        if (done) return result;
        if (error) return *error;
        return Value::Bool(macro_ == MacroKind::kAll);
      case MacroKind::kExistsOne:
        if (error) return *error;
        return Value::Bool(count == 1);
      case MacroKind::kTransformMap:
        if (error) return *error;
        return Value::Map(std::move(map_out));
      case MacroKind::kSortBy: {
        if (error) {
          f.Observe(1);
          return *error;
        }
        Value key_list = Value::List(keys);
        f.Observe(CostOfCall(cost_.sort, std::array<Value, 2>{range, key_list}, Value(), f.cost_headroom()));
        return SortByKeys(std::move(list_out), keys, f);
      }
      default:
        if (error) return *error;
        return Value::List(std::move(list_out));
    }
  }

  MacroKind macro_;
  NodePtr range_;
  size_t slot1_;
  std::optional<size_t> slot2_;
  std::optional<size_t> lazy_state_;  // bind, optMap, optFlatMap: see LazyLocalNode
  NodePtr pred_;
  NodePtr transform_;
  bool map_entries_;
  MacroCost cost_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Planner: Expr -> Node tree, resolving names and overloads once.

class Planner {
 public:
  // `overloads`: what the checker resolved (CheckResult::overloads); empty unchecked.
  Planner(const Env& env, const CompileOptions& options, std::string_view source,
          const std::unordered_map<const Expr*, const checker::OverloadDecl*>& overloads)
      : env_(env), options_(options), source_(source), overloads_(overloads) {}

  CompileResult Run(const Expr& root) {
    program_ = std::shared_ptr<Program>(new Program());
    CountPaths(root);
    NodePtr node = Plan(root);
    CompileResult r;
    if (error_) {
      r.error = std::move(error_);
      return r;
    }
    auto program = std::move(program_);
    program->root_ = std::move(node);
    program->owners_ = env_.constant_owners();
    program->local_count_ = max_locals_;
    r.program = std::move(program);
    return r;
  }

 private:
  NodePtr Fail(const Expr& e, std::string message) {
    if (!error_) error_ = CompileError{PositionAt(source_, e.offset), std::move(message)};
    return std::make_unique<ConstNode>(Value());
  }

  // "x.a.b" for a chain of selects on a name; empty for anything else. Shadowed
  // names may share a key: that only costs an unneeded memo, never a wrong value.
  static std::string PathKey(const Expr& e) {
    if (e.kind == ExprKind::kIdent) return e.name;
    if (e.kind != ExprKind::kSelect || e.test_only || !e.target) return "";
    std::string base = PathKey(*e.target);
    return base.empty() ? "" : base + "." + e.name;
  }
  void CountPaths(const Expr& e) {
    if (e.kind == ExprKind::kSelect) {
      std::string key = PathKey(e);
      if (!key.empty()) ++path_counts_[key];
    }
    if (e.target) CountPaths(*e.target);
    for (const auto& a : e.args) CountPaths(*a);
    for (const auto& m : e.entries) {
      CountPaths(*m.key);
      CountPaths(*m.value);
    }
  }
  // Whether the value of this select is read more than once in the program.
  bool Repeated(const Expr& e) const {
    auto it = path_counts_.find(PathKey(e));
    return it != path_counts_.end() && !it->first.empty() && it->second > 1;
  }

  // Field names live in the Program, one copy per distinct name, so that their
  // addresses identify them (see Frame::FindField).
  std::string_view Intern(const std::string& name) {
    return *program_->names_.insert(name).first;
  }

  struct Local {
    std::string name;
    size_t slot;
    std::optional<size_t> lazy_state;  // bound lazily (LazyLocalNode)
    const Node* init = nullptr;
  };

  const Local* FindLocal(std::string_view name) const {
    for (size_t i = scopes_.size(); i-- > 0;) {
      if (scopes_[i].name == name) return &scopes_[i];
    }
    return nullptr;
  }

  // Resolves a.b.c against declared qualified variables, longest prefix first.
  // Returns the planned node and sets *consumed to the number of selects used.
  static bool QualifiedName(const Expr& e, std::string* out) {
    if (e.kind == ExprKind::kIdent) {
      *out = e.name;
      return true;
    }
    if (e.kind == ExprKind::kSelect && !e.test_only && !e.optional_select && e.target) {
      if (!QualifiedName(*e.target, out)) return false;
      *out += "." + e.name;
      return true;
    }
    return false;
  }

  static std::optional<Value> TypeIdentifier(std::string_view name) {
    static constexpr std::string_view kTypes[] = {
        type_names::kNull, type_names::kBool, type_names::kInt, type_names::kUint, type_names::kDouble,
        type_names::kString, type_names::kBytes, type_names::kList, type_names::kMap, type_names::kType,
        type_names::kTimestamp, type_names::kDuration, type_names::kOptional};
    for (auto t : kTypes) {
      if (t == name) return Value::Type(t);
    }
    return std::nullopt;
  }

  NodePtr VariableOrConstant(int index, uint32_t cost) {
    program_->reads_.insert(index);
    if (const Value* c = env_.FindConstant(index)) return std::make_unique<ConstantReadNode>(*c, cost);
    return std::make_unique<VariableNode>(index, cost);
  }

  const checker::OverloadDecl* Unique(const Expr& e) const {
    auto it = overloads_.find(&e);
    return it == overloads_.end() ? nullptr : it->second;
  }

  // Whether cel-go plans this expression as an attribute: a name, a selection, an
  // index, or a conditional. It costs one unit however many qualifiers follow, and
  // each qualifier one more; an attribute resolved inside another step (an index
  // key, a branch of ?:, a presence test) does not count its own unit.
  bool IsAttribute(const Expr& e) const {
    switch (e.kind) {
      case ExprKind::kIdent: return FindLocal(e.name) || env_.FindVariable(e.name) || !TypeIdentifier(e.name);
      case ExprKind::kSelect: return !e.test_only;
      case ExprKind::kCall:
        return !e.target && (e.name == op::kIndex || e.name == op::kOptIndex || e.name == op::kCond);
      default: return false;
    }
  }
  // Plans the operand of a qualifier: the attribute continues (its unit is counted
  // at its root unless `drop`), or the operand is a value the qualifier starts an
  // attribute on (and the qualifier counts that attribute's unit: `top`).
  NodePtr PlanOperand(const Expr& operand, bool drop, uint32_t* top) {
    if (IsAttribute(operand)) {
      *top = 0;
      return Plan(operand, drop);
    }
    *top = drop ? 0 : 1;
    return Plan(operand);
  }
  // An index key or a branch of ?:, resolved without its own unit if an attribute.
  NodePtr PlanResolved(const Expr& e) { return IsAttribute(e) ? Plan(e, true) : Plan(e); }

  // The value of an expression known at compile time: a literal, a constant
  // variable, or a field of one (params.pattern); nullopt otherwise.
  std::optional<Value> CompileTimeValue(const Expr& e) const {
    if (e.kind == ExprKind::kConst) return e.constant;
    if (e.kind == ExprKind::kIdent) {
      if (FindLocal(e.name)) return std::nullopt;
      auto idx = env_.FindVariable(e.name);
      const Value* c = idx ? env_.FindConstant(*idx) : nullptr;
      return c ? std::optional<Value>(*c) : std::nullopt;
    }
    if (e.kind == ExprKind::kSelect && !e.test_only && !e.optional_select && e.target) {
      auto base = CompileTimeValue(*e.target);
      if (!base || base->kind() != Kind::kMap) return std::nullopt;
      return base->MapFindString(e.name);
    }
    return std::nullopt;
  }

  NodePtr PlanIdent(const Expr& e, const std::string& name, bool drop) {
    uint32_t cost = drop ? 0 : 1;
    if (const Local* l = FindLocal(name)) {
      if (l->lazy_state) return std::make_unique<LazyLocalNode>(l->slot, *l->lazy_state, l->init, cost);
      return std::make_unique<LocalNode>(l->slot, cost);
    }
    if (auto idx = env_.FindVariable(name)) return VariableOrConstant(*idx, cost);
    if (auto t = TypeIdentifier(name)) return std::make_unique<ConstNode>(*t);
    std::string msg = "undeclared reference to '" + name + "'";
    if (options_.strict) return Fail(e, msg);
    return std::make_unique<ErrorNode>(msg + " (in container '')");
  }

  // Whether some dotted prefix of `qname` ("a", "a.b", ...) is a declared variable.
  bool DeclaredPrefix(const std::string& qname) const {
    for (size_t dot = qname.find('.'); ; dot = qname.find('.', dot + 1)) {
      if (env_.FindVariable(qname.substr(0, dot))) return true;
      if (dot == std::string::npos) return false;
    }
  }

  NodePtr PlanSelect(const Expr& e, bool drop) {
    // A dotted name may be a declared qualified variable (longest prefix wins),
    // unless its root is a local variable.
    std::string qname;
    if (!e.test_only && !e.optional_select && QualifiedName(e, &qname)) {
      std::string root = qname.substr(0, qname.find('.'));
      if (!FindLocal(root)) {
        if (auto idx = env_.FindVariable(qname)) {
          // To cel-go a name and its selections: a unit, and one per selection.
          auto components = static_cast<uint32_t>(std::count(qname.begin(), qname.end(), '.') + 1);
          return VariableOrConstant(*idx, components - (drop ? 1 : 0));
        }
        if (auto t = TypeIdentifier(qname)) return std::make_unique<ConstNode>(*t);
        // Name the whole dotted reference ("variables.b"), not just its root.
        if (options_.strict && !TypeIdentifier(root) && !DeclaredPrefix(qname)) {
          const Expr* start = &e;
          while (start->target) start = start->target.get();
          return Fail(*start, "undeclared reference to '" + qname + "'");
        }
      }
    }
    // A field of a constant (params.pattern) is read once, here; counted as the
    // attribute it is to cel-go: the name's unit and one per selection.
    if (!e.test_only && !e.optional_select) {
      const Expr* root = &e;
      uint32_t selections = 0;
      while (root->kind == ExprKind::kSelect && !root->test_only && !root->optional_select && root->target) {
        root = root->target.get();
        ++selections;
      }
      if (root->kind == ExprKind::kIdent) {
        if (auto v = CompileTimeValue(e)) {
          if (auto idx = env_.FindVariable(root->name)) program_->reads_.insert(*idx);
          return std::make_unique<ConstantReadNode>(std::move(*v), selections + (drop ? 0 : 1));
        }
      }
    }
    auto mode = e.test_only ? SelectNode::Mode::kTest
                : e.optional_select ? SelectNode::Mode::kOptional : SelectNode::Mode::kValue;
    uint32_t top = 0;
    NodePtr operand = PlanOperand(*e.target, drop || e.test_only, &top);  // presence tests are free
    return std::make_unique<SelectNode>(std::move(operand), Intern(e.name), mode, Repeated(e), top);
  }

  NodePtr PlanCall(const Expr& e, bool drop) {
    const std::string& fn = e.name;
    std::vector<const Expr*> args;
    // A member call on a bare name that is a function namespace (strings.quote,
    // math.greatest, optional.of) is a global call.
    std::string global_name = fn;
    bool member = e.target != nullptr;
    if (member && e.target->kind == ExprKind::kIdent && !FindLocal(e.target->name) &&
        !env_.FindVariable(e.target->name)) {
      std::string qualified = e.target->name + "." + fn;
      if (!env_.FindFunction(qualified).empty()) {
        global_name = qualified;
        member = false;
      }
    }
    if (member) args.push_back(e.target.get());
    for (auto& a : e.args) args.push_back(a.get());

    auto arg = [&](size_t i) { return Plan(*args[i]); };
    CallCost cost = CallCostFor(global_name, Unique(e));
    if (!member && args.size() == 2) {
      if (fn == op::kAnd || fn == op::kOr) return std::make_unique<LogicNode>(arg(0), arg(1), fn == op::kAnd);
      if (fn == op::kEq || fn == op::kNe) return std::make_unique<EqualsNode>(arg(0), arg(1), fn == op::kNe);
      if (fn == op::kLt) return std::make_unique<CompareNode>(arg(0), arg(1), CompareNode::Op::kLt, op::kLt, cost);
      if (fn == op::kLe) return std::make_unique<CompareNode>(arg(0), arg(1), CompareNode::Op::kLe, op::kLe, cost);
      if (fn == op::kGt) return std::make_unique<CompareNode>(arg(0), arg(1), CompareNode::Op::kGt, op::kGt, cost);
      if (fn == op::kGe) return std::make_unique<CompareNode>(arg(0), arg(1), CompareNode::Op::kGe, op::kGe, cost);
      if (fn == op::kIn) return PlanIn(arg(0), arg(1), cost);
      if (fn == op::kIndex || fn == op::kOptIndex) {
        uint32_t top = 0;
        NodePtr container = PlanOperand(*args[0], drop, &top);
        return std::make_unique<IndexNode>(std::move(container), PlanResolved(*args[1]), fn == op::kOptIndex, top);
      }
    }
    if (!member && fn == op::kNot && args.size() == 1) return std::make_unique<NotNode>(arg(0));
    if (!member && fn == op::kCond && args.size() == 3) {
      return std::make_unique<ConditionalNode>(arg(0), PlanResolved(*args[1]), PlanResolved(*args[2]));
    }
    if (NodePtr path = PlanOptionalPath(fn, member, args)) return path;
    if (member && args.size() == 2 && (fn == "or" || fn == "orValue") && !env_.FindFunction(fn).empty()) {
      return std::make_unique<OptionalOrNode>(arg(0), arg(1), fn == "orValue");
    }

    std::vector<const Overload*> candidates;
    for (const Overload* o : env_.FindFunction(global_name)) {
      bool arity_ok = o->variadic ? args.size() >= o->arity : args.size() == o->arity;
      if (o->member == member && arity_ok) candidates.push_back(o);
    }
    if (candidates.empty()) {
      std::string msg = env_.FindFunction(global_name).empty()
                            ? "undeclared reference to '" + global_name + "'"
                            : "no matching overload for '" + global_name + "' with " + std::to_string(args.size()) +
                                  (member ? " arguments (including the receiver)" : " arguments");
      if (options_.strict) return Fail(e, msg);
      // Still evaluate the arguments: their errors take precedence, as in cel-go.
      std::vector<NodePtr> planned;
      for (size_t i = 0; i < args.size(); ++i) planned.push_back(arg(i));
      return std::make_unique<CallNode>(global_name, std::vector<const Overload*>{}, std::move(planned), cost);
    }
    std::vector<NodePtr> planned;
    for (size_t i = 0; i < args.size(); ++i) planned.push_back(arg(i));
    // A regex call with a constant pattern is compiled ahead by cel-go into a call
    // that stops at its first failed argument, uncounted.
    bool compiled_regex = (global_name == "matches" || global_name == "find" || global_name == "findAll") &&
                          planned.size() >= 2 && planned[1]->constant();
    auto call = std::make_unique<CallNode>(global_name, candidates, std::move(planned), cost, compiled_regex);
    for (size_t i = 0; i < args.size(); ++i) {
      std::optional<Value> known = CompileTimeValue(*args[i]);
      if (known) call->SetKnownSize(i, *known);
    }
    NodePtr node = PlanPrepared(candidates, args, std::move(call));
    return FoldConversion(e, global_name, member, std::move(node));
  }

  // `x in [constant primitives]` is a set lookup to cel-go, and costs nothing of its
  // own; `x in []` is false without evaluating x.
  NodePtr PlanIn(NodePtr lhs, NodePtr rhs, CallCost cost) {
    const Value* list = rhs->constant();
    if (cost == CallCost::kInList && list && list->kind() == Kind::kList) {
      bool primitive = true;
      list->ForEachElement([&](const Value& v) {
        Kind k = v.kind();
        primitive = k == Kind::kBool || k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble || k == Kind::kString;
        return primitive;
      });
      if (primitive && list->list_size() == 0) return std::make_unique<ConstNode>(Value::Bool(false));
      if (primitive) cost = CallCost::kFree;
    }
    return std::make_unique<InNode>(std::move(lhs), std::move(rhs), cost);
  }

  // A type conversion of a constant is computed once, when the program is built,
  // as the API server's cel-go does: one that fails refuses the expression, even
  // in a branch that would never run (int('x') is no policy anyone meant).
  NodePtr FoldConversion(const Expr& e, const std::string& fn, bool member, NodePtr node) {
    static constexpr std::string_view kConversions[] = {"bool", "bytes",     "double", "duration", "dyn",
                                                        "int",  "string",    "timestamp", "type",  "uint"};
    if (member || e.args.size() != 1 || !options_.strict || !options_.check ||
        std::find(std::begin(kConversions), std::end(kConversions), fn) == std::end(kConversions)) {
      return node;
    }
    const auto* call = dynamic_cast<const CallNode*>(node.get());
    if (!call || !call->all_arguments_constant()) return node;
    Activation none(env_);
    Frame frame(none, nullptr, 1'000'000);
    Value v = node->Eval(frame);
    if (v.is_error()) return Fail(e, "program instantiation failed: " + v.error_message());
    return std::make_unique<ConstNode>(std::move(v));
  }

  // Lets an overload prepare a literal argument once (see Overload::prepare).
  NodePtr PlanPrepared(const std::vector<const Overload*>& candidates, const std::vector<const Expr*>& args,
                       std::unique_ptr<CallNode> call) {
    for (const Overload* o : candidates) {
      if (!o->prepare || o->prepare_arg >= args.size()) continue;
      const Expr& literal = *args[o->prepare_arg];
      std::optional<Value> known = CompileTimeValue(literal);
      if (!known || !(o->kinds[o->prepare_arg] & K(known->kind()))) continue;
      Prepared p = o->prepare(*known);
      if (!p.state && p.error.empty()) continue;
      if (!p.state) {
        if (options_.strict) return Fail(literal, p.error);
        return std::make_unique<ErrorNode>(p.error);
      }
      call->SetPrepared(o, std::move(p.state));
      break;
    }
    return call;
  }

  // x.?a.?b.orValue(d) -> OptionalPathNode. Only chains made entirely of `?.`
  // selects qualify, so that the fused node has exactly the chained semantics.
  NodePtr PlanOptionalPath(const std::string& fn, bool member, const std::vector<const Expr*>& args) {
    if (fn != "orValue" || !member || args.size() != 2) return nullptr;
    std::vector<std::string_view> fields;
    std::vector<bool> memoise;
    const Expr* e = args[0];
    while (e->kind == ExprKind::kSelect && e->optional_select && !e->test_only) {
      fields.push_back(Intern(e->name));
      memoise.push_back(Repeated(*e));
      e = e->target.get();
    }
    if (fields.empty()) return nullptr;
    std::reverse(fields.begin(), fields.end());
    std::reverse(memoise.begin(), memoise.end());
    uint32_t top = 0;
    NodePtr root = PlanOperand(*e, false, &top);
    return std::make_unique<OptionalPathNode>(std::move(root), fields, std::move(memoise), Plan(*args[1]), top);
  }

  NodePtr PlanComprehension(const Expr& e) {
    NodePtr range = Plan(*e.args[0]);  // for bind: the init expression
    size_t mark = scopes_.size();
    size_t slot1 = next_local_++;
    std::optional<size_t> slot2, lazy_state;
    bool lazy = e.macro == MacroKind::kBind || e.macro == MacroKind::kOptMap || e.macro == MacroKind::kOptFlatMap;
    if (lazy) lazy_state = next_local_++;
    scopes_.push_back({e.var1, slot1, lazy_state, e.macro == MacroKind::kBind ? range.get() : nullptr});
    if (!e.var2.empty()) {
      slot2 = next_local_++;
      scopes_.push_back({e.var2, *slot2, std::nullopt, nullptr});
    }
    max_locals_ = std::max(max_locals_, next_local_);
    NodePtr pred, transform;
    size_t nbodies = e.args.size() - 1;
    switch (e.macro) {
      case MacroKind::kAll:
      case MacroKind::kExists:
      case MacroKind::kExistsOne:
      case MacroKind::kFilter: pred = Plan(*e.args[1]); break;
      case MacroKind::kMap:
      case MacroKind::kTransformList:
      case MacroKind::kTransformMap:
        if (nbodies == 2) pred = Plan(*e.args[1]);
        transform = Plan(*e.args.back());
        break;
      case MacroKind::kOptMap:
      case MacroKind::kOptFlatMap:
      case MacroKind::kSortBy:
      case MacroKind::kBind: transform = Plan(*e.args.back()); break;
    }
    scopes_.resize(mark);
    next_local_ = slot1;
    MacroCost cost = MacroCostOf(e);
    // r + [t] with a constant t adds a constant list, which cel-go builds once (free).
    if (transform && transform->constant()) cost.list = false;
    return std::make_unique<ComprehensionNode>(e.macro, std::move(range), slot1, slot2, lazy_state, std::move(pred),
                                               std::move(transform), e.name == "transformMapEntry", cost);
  }

  // The cost of cel-go's expansion of each macro, besides its range and bodies:
  //   all     condition @not_strictly_false(r) 2, step r && p 1
  //   exists  condition @not_strictly_false(!r) 3, step r || p 1
  //   exists_one  step p ? r + 1 : r (2 when p holds), result r == 1 (2)
  //   map, transformList  step r + [t] (r, the list, +: 12; under a filter only where
  //           it holds; a constant [t] is built once, free)
  //   filter  step p ? r + [x] : r (13 where p holds)
  //   transformMap  step cel.@mapInsert(r, k, t) (r and k, then 1 for the call once t
  //                 is evaluated; once r is an error, the call stops there: 1)
  //   transformMapEntry  step cel.@mapInsert(r, t) (r, then the call)
  //   sortBy  cel.bind(in, l, in.@sortByAssociatedKeys(in.map(x, k))): 2 names, the map's
  //           steps and result, and the ordering call
  // and, except where noted, the result r (1). cel.bind and optMap have no loop.
  MacroCost MacroCostOf(const Expr& e) const {
    MacroCost c;
    switch (e.macro) {
      case MacroKind::kAll: c = {.condition = 2, .step = 1, .result = 1}; break;
      case MacroKind::kExists: c = {.condition = 3, .step = 1, .result = 1}; break;
      case MacroKind::kExistsOne: c = {.kept = 2, .result = 2}; break;
      case MacroKind::kMap:
      case MacroKind::kTransformList: c = {.kept = 1, .list = true, .completed = 1, .result = 1}; break;
      case MacroKind::kFilter: c = {.kept = 2, .list = true, .completed = 1, .result = 1}; break;
      case MacroKind::kTransformMap:
        c = e.name == "transformMapEntry" ? MacroCost{.kept = 1, .completed = 1, .result = 1}
                                          : MacroCost{.kept = 2, .completed = 1, .result = 1};
        break;
      case MacroKind::kSortBy:
        c = {.start = 2, .kept = 1, .list = true, .completed = 1, .result = 1,
             .sort = CallCostFor("@sortByAssociatedKeys", Unique(e))};
        break;
      default: break;
    }
    return c;
  }

 public:
  // `drop_top`: the expression is an attribute resolved inside another step, whose
  // own unit cel-go does not count (see IsAttribute).
  NodePtr Plan(const Expr& e, bool drop_top = false) {
    switch (e.kind) {
      case ExprKind::kConst: return std::make_unique<ConstNode>(e.constant);
      case ExprKind::kIdent: return PlanIdent(e, e.name, drop_top);
      case ExprKind::kSelect: return PlanSelect(e, drop_top);
      case ExprKind::kCall: return PlanCall(e, drop_top);
      case ExprKind::kList: {
        std::vector<NodePtr> elems;
        bool constant = std::find(e.optional_elements.begin(), e.optional_elements.end(), true) == e.optional_elements.end();
        for (auto& a : e.args) {
          elems.push_back(Plan(*a));
          constant = constant && elems.back()->constant();
        }
        return Folded(std::make_unique<ListNode>(std::move(elems), e.optional_elements), constant);
      }
      case ExprKind::kMap: {
        std::vector<MapNode::Entry> entries;
        bool constant = true;
        for (auto& m : e.entries) {
          entries.push_back({Plan(*m.key), Plan(*m.value), m.optional});
          constant = constant && !m.optional && entries.back().key->constant() && entries.back().value->constant();
        }
        return Folded(std::make_unique<MapNode>(std::move(entries)), constant);
      }
      case ExprKind::kComprehension: return PlanComprehension(e);
    }
    return Fail(e, "unknown expression kind");
  }

 private:
  // A list or map of constants is built once, as cel-go builds it (and then costs nothing).
  NodePtr Folded(NodePtr node, bool constant) {
    if (!constant) return node;
    Activation none(env_);
    Frame frame(none, nullptr, 1'000'000);
    Value v = node->Eval(frame);
    if (v.is_error()) return node;
    return std::make_unique<ConstNode>(std::move(v));
  }

  const Env& env_;
  const CompileOptions& options_;
  std::string_view source_;
  const std::unordered_map<const Expr*, const checker::OverloadDecl*>& overloads_;
  std::shared_ptr<Program> program_;
  std::unordered_map<std::string, int> path_counts_;
  std::optional<CompileError> error_;
  std::vector<Local> scopes_;
  size_t next_local_ = 0;
  size_t max_locals_ = 0;
};

Program::~Program() = default;

namespace {

// The comprehensions' variables of one evaluation: only as many as the program has
// are built, on the stack when few.
class EvalLocals {
 public:
  explicit EvalLocals(size_t n) : count_(n) {
    if (n > kInline) {
      big_.resize(n);
      at_ = big_.data();
    } else {
      for (size_t i = 0; i < n; ++i) new (&small_.v[i]) Value();
      at_ = small_.v;
    }
  }
  ~EvalLocals() {
    if (count_ <= kInline) {
      for (size_t i = 0; i < count_; ++i) small_.v[i].~Value();
    }
  }
  EvalLocals(const EvalLocals&) = delete;
  EvalLocals& operator=(const EvalLocals&) = delete;
  Value* at() { return at_; }

 private:
  static constexpr size_t kInline = 8;
  union Storage {
    Storage() {}
    ~Storage() {}
    Value v[kInline];
  } small_;
  std::vector<Value> big_;
  size_t count_;
  Value* at_ = nullptr;
};

}  // namespace

Value Program::Evaluate(const Activation& activation, const EvalOptions& options, EvalStats* stats) const {
  EvalLocals locals(local_count_);
  Frame frame(activation, locals.at(), options.work_budget, options.cost_limit, options.deadline);
  Value v = root_->Eval(frame);
  if (stats) {
    stats->cost = frame.actual_cost();
    stats->work = frame.cost();
  }
  if (frame.past_deadline()) return Value::Error(std::string(kDeadlineExceeded));
  if (frame.over_cost_limit()) return Value::Error(std::string(kCostLimitExceeded));
  if (frame.exhausted()) return Value::Error(std::string(kCostExceeded));
  return v;
}

static std::string EstimateOverLimit(const checker::CostRange& c, uint64_t limit) {
  std::string out = "estimated cost ";
  out += c.saturated() ? std::string("unbounded") : std::to_string(c.max);
  out += " exceeds the limit of " + std::to_string(limit);
  if (!c.saturated() && limit > 0) {
    char factor[64];
    std::snprintf(factor, sizeof factor, " by a factor of %.1fx", static_cast<double>(c.max) / static_cast<double>(limit));
    out += factor;
  }
  return out + " (Kubernetes' estimate, for objects up to the 3 MiB request size)";
}

CompileResult Compile(std::string_view source, const Env& env, const CompileOptions& options) {
  ParseResult parsed = Parse(source, options.parse);
  if (parsed.error) {
    CompileResult r;
    r.error = CompileError{parsed.error->position, parsed.error->message};
    return r;
  }
  checker::Type type;
  std::unordered_map<const Expr*, const checker::OverloadDecl*> overloads;
  std::optional<checker::CostRange> estimated;
  if (options.check) {
    checker::Variables vars{[&env](std::string_view n) { return env.FindVariableType(n); },
                            [&env](std::string_view n) { return env.IsVariablePrefix(n); }};
    checker::CheckResult checked = checker::Check(*parsed.expr, vars, env.declarations());
    if (!checked.issues.empty()) {
      CompileResult r;
      r.error = CompileError{PositionAt(source, checked.issues.front().offset), checked.issues.front().message};
      return r;
    }
    estimated = checker::EstimateCost(*parsed.expr, checked);
    if (estimated->max > options.estimated_cost_limit) {
      CompileResult r;
      r.error = CompileError{PositionAt(source, 0), EstimateOverLimit(*estimated, options.estimated_cost_limit)};
      return r;
    }
    type = std::move(checked.type);
    overloads = std::move(checked.overloads);
  }
  CompileResult r = Planner(env, options, source, overloads).Run(*parsed.expr);
  if (!r.error) {
    r.type = std::move(type);
    r.estimated_cost = estimated;
  }
  return r;
}

}  // namespace clausegate::cel
