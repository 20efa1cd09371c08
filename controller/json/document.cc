#include "json/document.h"

#include "json/yaml_scalar.h"  // JsonQuote

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <unordered_map>
#include <vector>

namespace clausegate::json {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A key as the duplicate check compares it: its length and first eight bytes
// decide nearly every comparison without a call to memcmp.
struct KeyHead {
  uint64_t head = 0;
  uint32_t size = 0;
  const char* data = nullptr;

  // One of 64 bits, from the head and the size: two keys with different bits differ.
  uint64_t Bit() const {
    uint64_t h = (head ^ size) * 0x9E3779B97F4A7C15ULL;
    return uint64_t{1} << (h >> 58);
  }

  bool operator==(const KeyHead& o) const {
    return head == o.head && size == o.size && (size <= sizeof head || std::memcmp(data, o.data, size) == 0);
  }
  bool operator<(const KeyHead& o) const {
    return std::string_view(data, size) < std::string_view(o.data, o.size);
  }
};

// Whether any object of the document holds a key twice. simdjson keeps every entry
// and finds the first; Kubernetes' decoding keeps the last, so such documents are
// rewritten. Every request is checked, so this reads simdjson's tape (its
// documented format: doc/tape.md) in one pass instead of walking the DOM.
bool TapeHasRepeatedKeys(const simdjson::dom::document& doc) {
  const uint64_t* tape = doc.tape.get();
  const uint8_t* strings = doc.string_buf.get();
  if (!tape || !strings) return false;
  struct Open {
    bool object;
    bool want_key;
    size_t keys_begin;
    uint64_t bits;  // of the keys so far: a key is compared only when its bit is taken
  };
  std::vector<Open> open;
  std::vector<KeyHead> keys;
  open.reserve(32);
  keys.reserve(128);
  auto type_of = [&](size_t i) { return static_cast<char>(tape[i] >> 56); };
  auto payload = [&](size_t i) { return tape[i] & 0x00FFFFFFFFFFFFFFULL; };
  // A value inside an object is followed by a key.
  auto value_done = [&] {
    if (!open.empty() && open.back().object) open.back().want_key = true;
  };
  // Objects of up to this many keys are compared pairwise as keys arrive; larger
  // ones are sorted when they close.
  constexpr size_t kPairwise = 16;
  size_t end = static_cast<size_t>(payload(0));  // the root word points at its pair
  for (size_t i = 1; i < end; ++i) {
    switch (type_of(i)) {
      case '{': open.push_back({true, true, keys.size(), 0}); break;
      case '[': open.push_back({false, false, keys.size(), 0}); break;
      case '}': {
        size_t begin = open.back().keys_begin;
        if (keys.size() - begin > kPairwise) {
          std::sort(keys.begin() + static_cast<std::ptrdiff_t>(begin), keys.end());
          if (std::adjacent_find(keys.begin() + static_cast<std::ptrdiff_t>(begin), keys.end()) != keys.end()) {
            return true;
          }
        }
        keys.resize(begin);
        open.pop_back();
        value_done();
        break;
      }
      case ']':
        open.pop_back();
        value_done();
        break;
      case '"':
        if (!open.empty() && open.back().object && open.back().want_key) {
          size_t at = static_cast<size_t>(payload(i));
          KeyHead k;
          std::memcpy(&k.size, strings + at, sizeof k.size);
          k.data = reinterpret_cast<const char*>(strings + at + sizeof k.size);
          // simdjson pads its string buffer, so eight bytes can always be read.
          std::memcpy(&k.head, k.data, sizeof k.head);
          if (k.size < sizeof k.head) k.head &= (uint64_t{1} << (8 * k.size)) - 1;
          size_t begin = open.back().keys_begin;
          uint64_t bit = k.Bit();
          if (keys.size() - begin < kPairwise && (open.back().bits & bit)) {
            for (size_t j = begin; j < keys.size(); ++j) {
              if (keys[j] == k) return true;
            }
          }
          open.back().bits |= bit;
          keys.push_back(k);
          open.back().want_key = false;
        } else {
          value_done();
        }
        break;
      case 'l':
      case 'u':
      case 'd':
        ++i;  // the number is in the next word
        value_done();
        break;
      default: value_done(); break;  // true, false, null
    }
  }
  return false;
}

// The JSON text of `e` with every object keeping only the last entry of each key.
void WriteLastWins(element e, std::string* out) {
  if (e.type() == element_type::ARRAY) {
    *out += '[';
    bool first = true;
    for (element x : simdjson::dom::array(e)) {
      if (!first) *out += ',';
      first = false;
      WriteLastWins(x, out);
    }
    *out += ']';
    return;
  }
  if (e.type() != element_type::OBJECT) {
    *out += simdjson::minify(e);
    return;
  }
  simdjson::dom::object obj(e);
  std::unordered_map<std::string_view, size_t> last;
  size_t i = 0;
  for (auto field : obj) last[field.key] = i++;
  *out += '{';
  bool first = true;
  i = 0;
  for (auto field : obj) {
    if (last[field.key] != i++) continue;  // a later entry wins
    if (!first) *out += ',';
    first = false;
    *out += JsonQuote(field.key);
    *out += ':';
    WriteLastWins(field.value, out);
  }
  *out += '}';
}

// Copies a parsed document into buffers of the size it uses: the tape up to its
// last word, the strings up to the end of the last one (simdjson's tape format:
// the root word's payload is the index of the closing root word; a string word's
// payload is its offset in the string buffer, a 32-bit length, the bytes and a NUL).
// `string_bytes`: the string buffer's used part when the caller measured it.
bool CopyAtSize(const simdjson::dom::document& from, std::optional<size_t> string_bytes,
                simdjson::dom::document* to) {
  constexpr uint64_t kPayload = 0x00FFFFFFFFFFFFFFULL;
  const uint64_t* tape = from.tape.get();
  const uint8_t* strings = from.string_buf.get();
  size_t words = static_cast<size_t>(tape[0] & kPayload) + 1;
  size_t used = string_bytes.value_or(0);
  for (size_t i = 1; !string_bytes && i + 1 < words; ++i) {
    switch (static_cast<char>(tape[i] >> 56)) {
      case '"': {
        size_t at = static_cast<size_t>(tape[i] & kPayload);
        uint32_t size;
        std::memcpy(&size, strings + at, sizeof size);
        used = std::max(used, at + sizeof size + size + 1);
        break;
      }
      case 'l':
      case 'u':
      case 'd': ++i; break;  // the number is in the next word
      default: break;
    }
  }
  to->tape.reset(new (std::nothrow) uint64_t[words]);
  // Padded as simdjson pads its own: readers may load eight bytes where a string starts.
  to->string_buf.reset(new (std::nothrow) uint8_t[used + simdjson::SIMDJSON_PADDING]);
  if (!to->tape || !to->string_buf) return false;
  std::memcpy(to->tape.get(), tape, words * sizeof *tape);
  if (used) std::memcpy(to->string_buf.get(), strings, used);
  std::memset(to->string_buf.get() + used, 0, simdjson::SIMDJSON_PADDING);
  return true;
}

}  // namespace

bool HasRepeatedKeys(const Document& doc) { return TapeHasRepeatedKeys(doc.doc_); }

Result<DocumentPtr> Decoder::Decode(std::string_view json_text, KeyOrder keys) {
  if (json_text.size() > limits_.max_bytes) {
    return ResourceExhausted("document of " + std::to_string(json_text.size()) +
                             " bytes exceeds the limit of " + std::to_string(limits_.max_bytes));
  }
  if (!allocated_ || parser_.capacity() < json_text.size()) {
    if (parser_.allocate(std::max<size_t>(json_text.size(), 64 * 1024), limits_.max_depth) !=
        simdjson::SUCCESS) {
      return Internal("cannot allocate JSON decoder buffers");
    }
    allocated_ = true;
  }
  std::shared_ptr<Document> doc(new Document());
  simdjson::dom::element root;
  bool small = json_text.size() <= kScratchBytes;
  auto err = parser_.parse_into_document(small ? scratch_ : doc->doc_, json_text.data(), json_text.size(), true)
                 .get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return InvalidArgument("JSON nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
  }
  if (err != simdjson::SUCCESS) {
    return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  // Indexed where it was parsed; the walk also measures the strings, so that the
  // copy need not walk the tape again.
  KeyIndex::Built built = KeyIndex::Build(small ? scratch_ : doc->doc_);
  if (small) {
    if (!CopyAtSize(scratch_, built.string_bytes, &doc->doc_)) return Internal("cannot allocate a JSON document");
    built.index.Rebase(doc->doc_);
    root = doc->doc_.root();
  }
  bool repeated = built.indexed ? built.repeated : keys == KeyOrder::kMayRepeat && TapeHasRepeatedKeys(doc->doc_);
  if (keys == KeyOrder::kMayRepeat && repeated) {
    // Rare (no API server sends it): decode again from text where each key is once.
    std::string unique;
    unique.reserve(json_text.size());
    WriteLastWins(root, &unique);
    if (parser_.capacity() < unique.size() &&
        parser_.allocate(unique.size(), limits_.max_depth) != simdjson::SUCCESS) {
      return Internal("cannot allocate JSON decoder buffers");
    }
    std::shared_ptr<Document> again(new Document());
    if (parser_.parse_into_document(again->doc_, unique.data(), unique.size(), true).get(root) != simdjson::SUCCESS) {
      return Internal("cannot decode the document again without repeated keys");
    }
    again->root_ = root;
    again->keys_ = std::move(KeyIndex::Build(again->doc_).index);
    return DocumentPtr(std::move(again));
  }
  doc->root_ = root;
  doc->keys_ = std::move(built.index);
  return DocumentPtr(std::move(doc));
}

}  // namespace clausegate::json
