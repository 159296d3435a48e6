#pragma once
// What tells that an x_tables table's rules changed when its size did not
// (`iptables -R` with a rule of equal length), decided without I/O: a digest
// of the table's entries as the kernel copies them (IPT_SO_GET_ENTRIES), with
// every rule's packet and byte counters left out, so traffic is never a
// change. The digest also covers where each hook enters the table and where
// its policy sits (from IPT_SO_GET_INFO), so rules moved between built-in
// chains are a change too. How often a pass runs is paced by its own cost.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/changes/xt_layout.h"
#include "util/result.h"

namespace aim {

// 128 bits from two independent lanes. Within a lane each step is a
// bijection of the state for a given input word and injective in the word
// for a given state, so two blobs that differ in one 8-byte word never
// share a lane value; wider differences collide with odds near 2^-64 per lane.
using XtDigest = std::array<uint64_t, 2>;

// The digest's engine: bytes streamed through the two lanes eight at a
// time; a segment's odd end waits for the next, so how the bytes are cut
// into segments does not change the digest (only their order does). Also
// what the legacy reader digests a table it rendered with
// (legacy/table_digest.h): one hash in one place.
class XtDigester {
 public:
  void add(const unsigned char* p, size_t n);
  void add_u32(uint32_t v);
  // Its length, then its bytes: a variable-length field that cannot run
  // into the next.
  void add_text(std::string_view text);
  XtDigest finish();

 private:
  void word(uint64_t w);
  uint64_t a_ = 0x243f6a8885a308d3ull, b_ = 0x13198a2e03707344ull;
  uint64_t length_ = 0;
  unsigned char tail_[8] = {};
  size_t tail_len_ = 0;
};

// 32 lowercase hex digits, and back (nullopt unless exactly that).
std::string xt_digest_hex(const XtDigest& digest);
std::optional<XtDigest> xt_digest_from_hex(std::string_view hex);

// The header of a table (IPT_SO_GET_INFO): which hooks it has, where each
// enters and where its policy sits (byte offsets into the entries), how
// many entries and bytes the entries hold.
struct XtTableHeader {
  unsigned valid_hooks = 0;
  std::array<unsigned, 5> hook_entry{};
  std::array<unsigned, 5> underflow{};
  unsigned num_entries = 0;
  unsigned size = 0;
};

// The digest of a table whose entries are `entries` (the bytes after the
// kernel's struct ipt_get_entries header), laid out as `layout` says. Each
// entry's counters are skipped; every other byte counts, in order. An error
// (naming the offset and what is wrong) when the blob does not hold exactly
// header.num_entries well-formed entries in header.size bytes: an entry
// header cut short, a next_offset smaller than the header, misaligned or
// past the end.
Result<XtDigest> xt_entries_digest(std::string_view entries, const XtTableHeader& header,
                                   const aim_xt_entry_layout& layout);

// One table's fingerprint: its digest, or why it could not be had.
struct XtTableFingerprint {
  std::optional<XtDigest> digest;
  std::string error;  // when no digest: what failed, on what
};
// "ipv4 nat" -> fingerprint.
using XtFingerprints = std::map<std::string, XtTableFingerprint>;

// The tables whose fingerprint moved between two passes ("ipv4 nat", ...),
// in order: a digest that differs, a table added or gone, and a table with
// no digest now, every time (fail-safe: a table that cannot be fingerprinted
// is never taken as unchanged, so each pass asks for a check, which reads it
// and reports what it finds).
std::vector<std::string> moved_fingerprints(const XtFingerprints& before,
                                            const XtFingerprints& after);

// The pacing of fingerprint passes: the next one starts `max(floor, cost /
// share)` after the last one started, so passes take at most `share` of a
// core (cost: the pass's CPU time, the kernel's copy included) and a cheap
// one waits `floor`. A pass costs microseconds on an ordinary node and
// ~0.1-0.3 s at 10,000 kube-proxy services (docs/BENCHMARKS.md).
struct XtFingerprintPacing {
  static constexpr std::chrono::milliseconds kFloor{500};
  static constexpr double kShare = 0.02;
  std::chrono::nanoseconds floor{kFloor};
  double share = kShare;
  std::chrono::nanoseconds spacing(std::chrono::nanoseconds cost) const;
};

}  // namespace aim
