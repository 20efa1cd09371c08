#include "json/key_index.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

namespace clausegate::json {

HashedKey::HashedKey(std::string_view t) : text(t) {
  if (!t.empty()) std::memcpy(&head, t.data(), std::min(t.size(), sizeof head));
  if (t.size() > sizeof tail) std::memcpy(&tail, t.data() + t.size() - sizeof tail, sizeof tail);
  hash = KeyIndex::Hash(t.size(), head, tail);
}

// The walk that fills the index: a scope at a time, depth first.
struct KeyIndex::Walker {
  enum class Stop { kNone, kRepeated, kUnindexed };
  const uint64_t* tape;
  const uint8_t* strings;
  KeyIndex& index;
  size_t budget;  // probes in all, beyond each key's first
  // Strings are laid out in the buffer in tape order: the last one ends its used part.
  uint64_t last_string = 0;
  bool any_string = false;
  Stop stop = Stop::kNone;

  void SawString(uint64_t word) {
    uint64_t at = word & kPayload;
    if (!any_string || at > last_string) last_string = at;
    any_string = true;
  }

  // The value at tape index `k`, walked when it is a scope: the index past it.
  size_t Step(size_t k, int depth) {
    uint64_t v = tape[k];
    switch (static_cast<char>(v >> 56)) {
      case '{': Object(k, depth + 1); return static_cast<uint32_t>(v);
      case '[': Array(k, depth + 1); return static_cast<uint32_t>(v);
      case 'l':
      case 'u':
      case 'd': return k + 2;  // the number is in the next word
      case '"': SawString(v); return k + 1;
      default: return k + 1;
    }
  }

  void Array(size_t at, int depth) {
    if (depth > kMaxDepth) {
      stop = Stop::kUnindexed;
      return;
    }
    size_t close = static_cast<uint32_t>(tape[at]) - 1;  // the ']'; the payload points past it
    for (size_t k = at + 1; k < close && stop == Stop::kNone;) k = Step(k, depth);
  }

  void Object(size_t at, int depth) {
    if (depth > kMaxDepth) {
      stop = Stop::kUnindexed;
      return;
    }
    uint32_t object = static_cast<uint32_t>(at);
    size_t close = static_cast<uint32_t>(tape[at]) - 1;  // the '}'
    for (size_t k = at + 1; k < close && stop == Stop::kNone;) {
      SawString(tape[k]);
      const uint8_t* key = strings + (tape[k] & kPayload);
      uint32_t size;
      std::memcpy(&size, key, sizeof size);
      uint64_t head, tail;
      ReadKey(key + sizeof size, size, &head, &tail);
      uint64_t hash = Hash(size, head, tail);
      uint32_t value = static_cast<uint32_t>(k + 1), tag = Tag(hash, object);
      for (size_t slot = index.Home(hash, object), probes = 0;; slot = (slot + 1) & index.mask_, ++probes) {
        Slot& s = index.slots_[slot];
        if (s.value == 0) {
          s = Slot{value, tag};
          break;
        }
        if (probes == kMaxProbe || budget-- == 0) {
          stop = Stop::kUnindexed;
          return;
        }
        if (s.tag == tag &&
            index.KeyAt(s.value) == std::string_view(reinterpret_cast<const char*>(key + sizeof size), size)) {
          stop = Stop::kRepeated;
          return;
        }
      }
      k = Step(value, depth);
    }
  }
};

KeyIndex::Built KeyIndex::Build(const simdjson::dom::document& doc, size_t max_words) {
  Built out;
  const uint64_t* tape = doc.tape.get();
  const uint8_t* strings = doc.string_buf.get();
  if (!tape || !strings) return out;
  size_t end = static_cast<size_t>(tape[0] & kPayload);  // the root word points past its pair
  // A key takes two words at least (itself and a value), so the table is sized
  // from the tape, in one pass: at most three quarters full, commonly under half.
  if (end > max_words || end > UINT32_MAX) return out;
  size_t capacity = 16;
  while (capacity < end * 2 / 3) capacity *= 2;
  KeyIndex index;
  static_assert(std::is_trivially_copyable_v<Slot>);
  index.slots_.reset(new (std::nothrow) Slot[capacity]);
  if (!index.slots_) return out;  // no memory for it: readers scan
  std::memset(static_cast<void*>(index.slots_.get()), 0, capacity * sizeof(Slot));
  index.mask_ = capacity - 1;
  index.tape_ = tape;
  index.strings_ = strings;

  // The scopes are walked from the root: each key and each element is read once, a
  // scalar hopped over and a nested scope walked where it is met. A number's second
  // word is never read as a type.
  Walker w{tape, strings, index, end + kMaxProbe};
  w.Step(1, 0);
  if (w.stop != Walker::Stop::kNone) {
    if (w.stop == Walker::Stop::kRepeated) out.indexed = out.repeated = true;  // decoded again without it: no index
    return out;
  }
  uint64_t last_string = w.last_string;
  bool any_string = w.any_string;
  out.index = std::move(index);
  out.indexed = true;
  out.string_bytes = 0;
  if (any_string) {
    uint32_t size;
    std::memcpy(&size, strings + last_string, sizeof size);
    out.string_bytes = static_cast<size_t>(last_string) + sizeof size + size + 1;  // and its NUL
  }
  return out;
}

}  // namespace clausegate::json
