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

  // Every object is met once in a pass over the tape (a number's second word
  // skipped, so that it is never read as a type); its keys are then visited by
  // hopping from each key over its value, nested scopes in one step.
  size_t budget = end + kMaxProbe;  // probes in all, beyond each key's first
  // Strings are laid out in the buffer in tape order: the last one ends its used part.
  uint64_t last_string = 0;
  bool any_string = false;
  for (size_t i = 1; i < end; ++i) {
    uint64_t word = tape[i];
    char type = static_cast<char>(word >> 56);
    if (type == 'l' || type == 'u' || type == 'd') {
      ++i;
      continue;
    }
    if (type == '"') {
      last_string = word & kPayload;
      any_string = true;
      continue;
    }
    if (type != '{') continue;
    uint32_t object = static_cast<uint32_t>(i);
    size_t close = static_cast<uint32_t>(word) - 1;  // the '}'; the payload points past it
    for (size_t k = i + 1; k < close;) {
      const uint8_t* at = strings + (tape[k] & kPayload);
      uint32_t size;
      std::memcpy(&size, at, sizeof size);
      uint64_t head, tail;
      ReadKey(at + sizeof size, size, &head, &tail);
      uint64_t hash = Hash(size, head, tail);
      uint32_t value = static_cast<uint32_t>(k + 1), tag = static_cast<uint32_t>(hash);
      for (size_t slot = index.Home(hash, object), probes = 0;; slot = (slot + 1) & index.mask_, ++probes) {
        Slot& s = index.slots_[slot];
        if (s.value == 0) {
          s = Slot{object, value, tag};
          break;
        }
        if (probes == kMaxProbe || budget-- == 0) return out;
        if (s.object == object && s.tag == tag &&
            index.KeyAt(s.value) == std::string_view(reinterpret_cast<const char*>(at + sizeof size), size)) {
          out.indexed = out.repeated = true;  // decoded again without it: no index for this one
          return out;
        }
      }
      uint64_t v = tape[value];
      switch (static_cast<char>(v >> 56)) {
        case '{':
        case '[': k = static_cast<uint32_t>(v); break;  // past the scope
        case 'l':
        case 'u':
        case 'd': k = value + 2; break;  // the number is in the next word
        default: k = value + 1; break;
      }
    }
  }
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
