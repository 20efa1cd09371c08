#pragma once
// The object keys of a decoded document, hashed once when it is decoded.
//
// Expressions read fields of the same few objects over and over (a container's
// securityContext in every Pod Security rule); a scan of the object's keys for
// each read is most of an evaluation's time. The index finds a field in one or
// two probes, and building it is also the check for keys given twice.
//
// Bounded for hostile documents: past kMaxWords words of simdjson's tape (some
// 40,000 keys; the table is then 1 MiB), or when probes pile up (keys crafted
// to collide), no index is kept and readers scan as before.

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace clausegate::json {

// A key to look up, hashed once (field names of a compiled expression are
// hashed when it is planned). `text` must outlive it.
struct HashedKey {
  explicit HashedKey(std::string_view t);
  std::string_view text;
  uint64_t head = 0;  // the first eight bytes, zero-padded
  uint64_t tail = 0;  // the last eight, when there are more than eight
  uint64_t hash = 0;
};

class KeyIndex {
 public:
  static constexpr size_t kMaxWords = size_t{1} << 17;
  // Deeper than this, no index either. The decoder's own limit is far lower; the
  // walk recurses once a level.
  static constexpr int kMaxDepth = 1100;

  struct Built;
  // Indexes every key of `doc`. `max_words` lowers the bound (tests use it to reach
  // the unindexed path).
  static Built Build(const simdjson::dom::document& doc, size_t max_words = kMaxWords);

  // Points the index at a copy of the document it was built on (the same tape and
  // string buffer, elsewhere).
  void Rebase(const simdjson::dom::document& copy) {
    tape_ = copy.tape.get();
    strings_ = copy.string_buf.get();
  }

  // Whether lookups may use the index; when false, scan the object.
  bool usable() const { return slots_ != nullptr; }
  // The tape index of the value of `key` in the object whose '{' is at tape index
  // `object`; 0 when the object has no such key. Only when usable().
  uint32_t Find(uint32_t object, const HashedKey& key) const {
    uint32_t tag = Tag(key.hash, object);
    for (size_t i = Home(key.hash, object), probes = 0; probes <= kMaxProbe; i = (i + 1) & mask_, ++probes) {
      const Slot& s = slots_[i];
      if (s.value == 0) return 0;
      if (s.tag == tag && KeyEquals(s.value, key)) return s.value;
    }
    return 0;  // no key was placed farther than kMaxProbe from its home
  }

  // Where Follow stopped: the tape index of the last value found (the start object
  // itself when none was), and how many of the keys were found, in order.
  struct Followed {
    uint32_t at;
    size_t found;
  };
  // Looks up `keys` one after another from the object whose '{' is at tape index
  // `object`, each in the value the one before found, while that value is an
  // object: a path of fields read without building what lies on the way. Only when
  // usable().
  Followed Follow(uint32_t object, std::span<const HashedKey> keys) const {
    Followed r{object, 0};
    for (const HashedKey& key : keys) {
      if (TypeAt(r.at) != '{') break;
      uint32_t value = Find(r.at, key);
      if (value == 0) break;
      r.at = value;
      ++r.found;
    }
    return r;
  }
  // The type of the element at a tape index, as the tape's top byte gives it
  // ('{' object, '[' array, '"' string, ...).
  char TypeAt(uint32_t at) const { return static_cast<char>(tape_[at] >> 56); }

  // A key's hash from its length and its first and last eight bytes: two loads
  // for any key. Keys that agree there collide (and are told apart by comparing
  // them); Kubernetes' keys differ within them.
  static uint64_t Hash(size_t size, uint64_t head, uint64_t tail) {
    uint64_t h = (head ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
    h ^= (tail ^ size) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
  }

 private:
  // simdjson's tape (its documented format, doc/tape.md): one word per scalar or
  // bracket, the type in the top byte; a string's payload is its offset in the
  // string buffer, where a 32-bit length precedes the bytes.
  static constexpr uint64_t kPayload = 0x00FFFFFFFFFFFFFFULL;
  // A probe sequence longer than this means crafted collisions: no index then.
  static constexpr size_t kMaxProbe = 64;
  struct Walker;

  // Eight bytes, so that the table of a large Pod stays in the first-level cache.
  struct Slot {
    uint32_t value;  // the tape index of the value; its key is the word before; 0: empty
    uint32_t tag;    // Tag(): most mismatches end here
  };
  // The key's hash and its object, in 32 bits. For one key (one hash) the tags of two
  // objects differ, as multiplying by an odd number is one-to-one on 32 bits: a slot
  // whose tag matches and whose key's text is the one looked up is that object's.
  static uint32_t Tag(uint64_t hash, uint32_t object) {
    return static_cast<uint32_t>(hash) ^ (object * 0x9E3779B1u);
  }
  size_t Home(uint64_t hash, uint32_t object) const {
    uint64_t x = hash ^ (uint64_t{object} * 0x9E3779B97F4A7C15ULL);
    return static_cast<size_t>(x ^ (x >> 29)) & mask_;
  }
  std::string_view KeyAt(uint32_t value) const {
    const uint8_t* at = strings_ + (tape_[value - 1] & kPayload);
    uint32_t size;
    std::memcpy(&size, at, sizeof size);
    return std::string_view(reinterpret_cast<const char*>(at + sizeof size), size);
  }
  bool KeyEquals(uint32_t value, const HashedKey& key) const {
    const uint8_t* at = strings_ + (tape_[value - 1] & kPayload);
    uint32_t size;
    std::memcpy(&size, at, sizeof size);
    if (size != key.text.size()) return false;
    uint64_t head, tail;
    ReadKey(at + sizeof size, size, &head, &tail);
    return head == key.head && tail == key.tail &&
           (size <= 2 * sizeof head ||
            std::memcmp(at + sizeof size + sizeof head, key.text.data() + sizeof head, size - 2 * sizeof head) == 0);
  }
  // The first and last eight bytes of a key in the string buffer, which is padded,
  // so that eight bytes can always be read from where a string starts.
  static void ReadKey(const uint8_t* data, uint32_t size, uint64_t* head, uint64_t* tail) {
    std::memcpy(head, data, sizeof *head);
    if (size < sizeof *head) *head &= (uint64_t{1} << (8 * size)) - 1;
    *tail = 0;
    if (size > sizeof *tail) std::memcpy(tail, data + size - sizeof *tail, sizeof *tail);
  }

  std::unique_ptr<Slot[]> slots_;  // mask_ + 1 of them, zeroed at once (an empty slot is all zero)
  size_t mask_ = 0;
  const uint64_t* tape_ = nullptr;
  const uint8_t* strings_ = nullptr;
};

struct KeyIndex::Built {
  KeyIndex index;          // usable() false when the document was too large or too colliding
  bool indexed = false;    // the walk completed: `repeated` is its verdict
  bool repeated = false;   // some object gives a key twice (only when `indexed`)
  // The bytes of the string buffer in use (the end of the last string), measured on
  // the way when the whole tape was walked; nullopt when it was not.
  std::optional<size_t> string_bytes;
};

}  // namespace clausegate::json
