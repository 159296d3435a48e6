#include "rules/changes/xt_fingerprint.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace aim {
namespace {

constexpr uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Odd multipliers (so multiplying is a bijection mod 2^64) with well-spread bits.
constexpr uint64_t kA = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kB = 0xc2b2ae3d27d4eb4full;
constexpr uint64_t kC = 0xd6e8feb86659fd93ull;

uint64_t load(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// A bijection that spreads every bit over the whole word.
uint64_t settle(uint64_t x) {
  x ^= x >> 31;
  x *= kB;
  x ^= x >> 29;
  x *= kA;
  x ^= x >> 32;
  return x;
}

std::string at(size_t offset) { return " at byte " + std::to_string(offset) + " of the entries"; }

}  // namespace

void XtDigester::add(const unsigned char* p, size_t n) {
  length_ += n;
  if (tail_len_ > 0) {
    while (tail_len_ < 8 && n > 0) {
      tail_[tail_len_++] = *p++;
      --n;
    }
    // Still short of a word: the bytes wait in the tail (returning here
    // keeps them; going on would overwrite the tail with nothing).
    if (tail_len_ < 8) return;
    word(load(tail_));
    tail_len_ = 0;
  }
  for (; n >= 8; p += 8, n -= 8) word(load(p));
  std::memcpy(tail_, p, n);
  tail_len_ = n;
}

void XtDigester::add_u32(uint32_t v) {
  unsigned char b[4];
  std::memcpy(b, &v, 4);
  add(b, 4);
}

void XtDigester::add_text(std::string_view text) {
  add_u32(static_cast<uint32_t>(text.size()));
  add(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

XtDigest XtDigester::finish() {
  unsigned char last[8] = {};
  std::memcpy(last, tail_, tail_len_);
  word(load(last));
  word(length_);
  return {settle(a_), settle(b_ ^ kC)};
}

// Lane a: xor, multiply, rotate; lane b: multiply the word, add, rotate,
// multiply. Each a bijection of the lane for a given word, injective in the
// word for a given lane.
void XtDigester::word(uint64_t w) {
  a_ = rotl((a_ ^ w) * kA, 27);
  b_ = rotl(b_ + w * kC, 31) * kB;
}

std::string xt_digest_hex(const XtDigest& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (uint64_t lane : digest)
    for (int shift = 60; shift >= 0; shift -= 4) text += kHex[(lane >> shift) & 0xf];
  return text;
}

std::optional<XtDigest> xt_digest_from_hex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  XtDigest digest{};
  for (size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      return std::nullopt;
    digest[i / 16] = (digest[i / 16] << 4) | static_cast<uint64_t>(v);
  }
  return digest;
}

Result<XtDigest> xt_entries_digest(std::string_view entries, const XtTableHeader& header,
                                   const aim_xt_entry_layout& layout) {
  if (entries.size() != header.size)
    return Error{"the entries hold " + std::to_string(entries.size()) + " bytes, the table " +
                 std::to_string(header.size)};
  XtDigester d;
  d.add_u32(header.valid_hooks);
  for (unsigned v : header.hook_entry) d.add_u32(v);
  for (unsigned v : header.underflow) d.add_u32(v);
  d.add_u32(header.num_entries);
  const auto* base = reinterpret_cast<const unsigned char*>(entries.data());
  const size_t size = entries.size();
  const size_t skip_end = layout.counters_at + layout.counters_size;
  size_t offset = 0, count = 0;
  while (offset < size) {
    if (size - offset < layout.header_size)
      return Error{"an entry's header is cut short" + at(offset)};
    uint16_t next = 0;
    std::memcpy(&next, base + offset + layout.next_offset_at, sizeof next);
    if (next < layout.header_size || next > size - offset || next % layout.align != 0)
      return Error{"an entry's next_offset (" + std::to_string(next) + ") is out of bounds" +
                   at(offset)};
    if (++count > header.num_entries)
      return Error{"more entries than the table's " + std::to_string(header.num_entries)};
    // Everything but the counters: the kernel writes those as packets pass.
    d.add(base + offset, layout.counters_at);
    d.add(base + offset + skip_end, next - skip_end);
    offset += next;
  }
  if (count != header.num_entries)
    return Error{std::to_string(count) + " entries, the table says " +
                 std::to_string(header.num_entries)};
  return d.finish();
}

std::vector<std::string> moved_fingerprints(const XtFingerprints& before,
                                            const XtFingerprints& after) {
  std::vector<std::string> moved;
  for (const auto& [table, now] : after) {
    auto it = before.find(table);
    if (!now.digest || it == before.end() || it->second.digest != now.digest)
      moved.push_back(table);
  }
  for (const auto& [table, fingerprint] : before)
    if (!after.count(table)) moved.push_back(table);
  return moved;
}

std::chrono::nanoseconds XtFingerprintPacing::spacing(std::chrono::nanoseconds cost) const {
  if (share <= 0) return floor;
  const auto by_cost = std::chrono::nanoseconds(
      std::llround(static_cast<double>(std::max<int64_t>(cost.count(), 0)) / share));
  return std::max(floor, by_cost);
}

}  // namespace aim
