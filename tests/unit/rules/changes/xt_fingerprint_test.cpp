// Issue 29: a same-size replacement on iptables-legacy is seen by a digest
// of the table's entries with the counters left out. Blobs here are built
// with the kernel's own layout (the uapi headers, through xt_layout.c), so
// the counters skipped are the ones the kernel writes.
#include "rules/changes/xt_fingerprint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace aim {
namespace {

using namespace std::chrono_literals;

struct Blob {
  std::string bytes;
  XtTableHeader header;
  aim_xt_entry_layout layout;
  std::vector<size_t> starts;  // where each entry starts
};

// `payloads` entries, each a header and that many bytes of "matches and
// target" (rounded up to the alignment), every byte but next_offset and the
// counters set from `seed`.
Blob make_blob(int family, const std::vector<size_t>& payloads, uint32_t seed = 1) {
  Blob b;
  b.layout = aim_xt_entry_layout_of(family);
  std::mt19937 random(seed);
  for (size_t payload : payloads) {
    size_t next = b.layout.header_size + payload;
    next = (next + b.layout.align - 1) / b.layout.align * b.layout.align;
    const size_t at = b.bytes.size();
    b.starts.push_back(at);
    for (size_t i = 0; i < next; ++i) b.bytes.push_back(static_cast<char>(random()));
    const uint16_t n = static_cast<uint16_t>(next);
    std::memcpy(&b.bytes[at + b.layout.next_offset_at], &n, sizeof n);
    std::memset(&b.bytes[at + b.layout.counters_at], 0, b.layout.counters_size);
  }
  b.header.valid_hooks = 0x0e;
  b.header.hook_entry = {0, 0, 0, 0, 0};
  b.header.underflow = {0, 0, 0, 0, 0};
  b.header.num_entries = static_cast<unsigned>(payloads.size());
  b.header.size = static_cast<unsigned>(b.bytes.size());
  return b;
}

Result<XtDigest> digest(const Blob& b) { return xt_entries_digest(b.bytes, b.header, b.layout); }

class XtFingerprintFamily : public ::testing::TestWithParam<int> {};

// The kernel's ABI, as this build reads it: if a header ever moved the
// counters, these say so before a table's traffic looks like a change.
TEST(XtFingerprint, LayoutIsTheKernelsEntryHeader) {
  const aim_xt_entry_layout v4 = aim_xt_entry_layout_of(4), v6 = aim_xt_entry_layout_of(6);
  EXPECT_EQ(v4.header_size, 112u);
  EXPECT_EQ(v4.next_offset_at, 90u);
  EXPECT_EQ(v4.counters_at, 96u);
  EXPECT_EQ(v4.counters_size, 16u);
  EXPECT_EQ(v6.header_size, 168u);
  EXPECT_EQ(v6.next_offset_at, 142u);
  EXPECT_EQ(v6.counters_at, 152u);
  EXPECT_EQ(v6.counters_size, 16u);
}

TEST_P(XtFingerprintFamily, TheSameEntriesHaveTheSameDigest) {
  const Blob a = make_blob(GetParam(), {40, 80, 40}), b = make_blob(GetParam(), {40, 80, 40});
  ASSERT_TRUE(digest(a).ok()) << digest(a).error();
  EXPECT_EQ(*digest(a), *digest(b));
}

TEST_P(XtFingerprintFamily, CountersDoNotMoveTheDigest) {
  const Blob quiet = make_blob(GetParam(), {40, 80, 40, 200});
  Blob busy = quiet;
  for (size_t start : busy.starts)
    for (size_t i = 0; i < busy.layout.counters_size; ++i)
      busy.bytes[start + busy.layout.counters_at + i] = static_cast<char>(0xa5 + i);
  ASSERT_NE(quiet.bytes, busy.bytes);
  ASSERT_TRUE(digest(busy).ok()) << digest(busy).error();
  EXPECT_EQ(*digest(quiet), *digest(busy));
}

// Every byte outside the counters counts: one changed anywhere (a match's
// port, a target's chain, the entry's addresses) moves the digest, or, in
// next_offset, makes the blob malformed, which is no digest at all.
TEST_P(XtFingerprintFamily, AnyOtherByteChangedMovesTheDigest) {
  const Blob original = make_blob(GetParam(), {40, 48, 40});
  const XtDigest base = *digest(original);
  for (size_t entry = 0; entry < original.starts.size(); ++entry) {
    const size_t start = original.starts[entry];
    const size_t end =
        entry + 1 < original.starts.size() ? original.starts[entry + 1] : original.bytes.size();
    for (size_t at = start; at < end; ++at) {
      const size_t in = at - start;
      if (in >= original.layout.counters_at &&
          in < original.layout.counters_at + original.layout.counters_size)
        continue;
      Blob changed = original;
      changed.bytes[at] = static_cast<char>(changed.bytes[at] ^ 0x01);
      const Result<XtDigest> d = digest(changed);
      EXPECT_TRUE(!d.ok() || *d != base) << "byte " << at << " (entry " << entry << ")";
    }
  }
}

TEST_P(XtFingerprintFamily, WhereHooksEnterIsPartOfTheDigest) {
  const Blob original = make_blob(GetParam(), {40, 40, 40});
  const XtDigest base = *digest(original);
  Blob moved = original;
  moved.header.hook_entry[1] = original.starts[1];
  EXPECT_NE(*digest(moved), base);
  moved = original;
  moved.header.underflow[3] = original.starts[2];
  EXPECT_NE(*digest(moved), base);
  moved = original;
  moved.header.valid_hooks = 0x1f;
  EXPECT_NE(*digest(moved), base);
}

// Two entries swapped keep every byte but not their order.
TEST_P(XtFingerprintFamily, EntriesInAnotherOrderMoveTheDigest) {
  const Blob a = make_blob(GetParam(), {40}, 1), b = make_blob(GetParam(), {40}, 2);
  Blob ab = a, ba = b;
  ab.bytes = a.bytes + b.bytes;
  ba.bytes = b.bytes + a.bytes;
  ab.header.num_entries = ba.header.num_entries = 2;
  ab.header.size = ba.header.size = static_cast<unsigned>(ab.bytes.size());
  EXPECT_NE(*digest(ab), *digest(ba));
}

TEST_P(XtFingerprintFamily, ATruncatedBlobHasNoDigest) {
  const Blob whole = make_blob(GetParam(), {40, 80, 40});
  for (size_t cut = 0; cut < whole.bytes.size(); ++cut) {
    Blob part = whole;
    part.bytes.resize(cut);
    EXPECT_FALSE(digest(part).ok()) << "cut at " << cut << ", header's size kept";
    part.header.size = static_cast<unsigned>(cut);
    EXPECT_FALSE(digest(part).ok()) << "cut at " << cut << ", header's size cut too";
  }
}

TEST_P(XtFingerprintFamily, HostileNextOffsetsAreRefusedWithTheirPlace) {
  const Blob whole = make_blob(GetParam(), {40, 40});
  const size_t at = whole.starts[1] + whole.layout.next_offset_at;
  for (uint16_t next :
       {uint16_t{0}, uint16_t{8}, static_cast<uint16_t>(whole.layout.header_size - 8),
        static_cast<uint16_t>(whole.layout.header_size + 44), uint16_t{0xfff8}}) {
    Blob bad = whole;
    std::memcpy(&bad.bytes[at], &next, sizeof next);
    const Result<XtDigest> d = digest(bad);
    ASSERT_FALSE(d.ok()) << "next_offset " << next;
    EXPECT_NE(d.error().find("at byte " + std::to_string(whole.starts[1])), std::string::npos)
        << d.error();
  }
}

TEST_P(XtFingerprintFamily, AnEntryCountOtherThanTheHeadersHasNoDigest) {
  Blob b = make_blob(GetParam(), {40, 40, 40});
  b.header.num_entries = 2;
  EXPECT_FALSE(digest(b).ok());
  b.header.num_entries = 4;
  EXPECT_FALSE(digest(b).ok());
}

// Random bytes under every header: a digest or an error, never a crash or a
// read past the blob (the sanitizer tiers run this too).
TEST_P(XtFingerprintFamily, RandomBlobsEndInADigestOrAnError) {
  std::mt19937 random(29);
  const aim_xt_entry_layout layout = aim_xt_entry_layout_of(GetParam());
  for (int i = 0; i < 5000; ++i) {
    std::string bytes(random() % 1200, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 4 == 0 ? random() : 0);
    XtTableHeader header;
    header.size = static_cast<unsigned>(bytes.size());
    header.num_entries = random() % 12;
    (void)xt_entries_digest(bytes, header, layout);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, XtFingerprintFamily, ::testing::Values(4, 6),
                         [](const auto& info) { return "ipv" + std::to_string(info.param); });

XtTableFingerprint readable(uint64_t v) { return {XtDigest{v, v}, ""}; }
XtTableFingerprint unreadable(const std::string& why) { return {std::nullopt, why}; }

TEST(XtFingerprintMoves, OnlyTablesWhoseDigestMovedAreChanged) {
  const XtFingerprints before{{"ipv4 filter", readable(1)}, {"ipv4 nat", readable(2)}};
  EXPECT_TRUE(moved_fingerprints(before, before).empty());
  EXPECT_EQ(moved_fingerprints(before, {{"ipv4 filter", readable(1)}, {"ipv4 nat", readable(3)}}),
            std::vector<std::string>{"ipv4 nat"});
}

TEST(XtFingerprintMoves, TablesAddedOrGoneAreChanged) {
  const XtFingerprints before{{"ipv4 filter", readable(1)}};
  EXPECT_EQ(moved_fingerprints(before, {{"ipv4 filter", readable(1)}, {"ipv6 raw", readable(1)}}),
            std::vector<std::string>{"ipv6 raw"});
  EXPECT_EQ(moved_fingerprints(before, {}), std::vector<std::string>{"ipv4 filter"});
}

// Fail-safe: a table that cannot be fingerprinted is never "unchanged",
// not even against the same failure a pass before.
TEST(XtFingerprintMoves, ATableWithoutADigestIsChangedEveryPass) {
  const XtFingerprints failing{{"ipv4 nat", unreadable("cannot copy: EPERM")}};
  EXPECT_EQ(moved_fingerprints(failing, failing), std::vector<std::string>{"ipv4 nat"});
  EXPECT_EQ(moved_fingerprints({{"ipv4 nat", readable(1)}}, failing),
            std::vector<std::string>{"ipv4 nat"});
  EXPECT_EQ(moved_fingerprints(failing, {{"ipv4 nat", readable(1)}}),
            std::vector<std::string>{"ipv4 nat"});
}

TEST(XtFingerprintPacing, ACheapPassWaitsTheFloor) {
  const XtFingerprintPacing pacing;
  EXPECT_EQ(pacing.spacing(0ns), XtFingerprintPacing::kFloor);
  EXPECT_EQ(pacing.spacing(-5ms), XtFingerprintPacing::kFloor);
  EXPECT_EQ(pacing.spacing(200us), XtFingerprintPacing::kFloor);
}

TEST(XtFingerprintPacing, ACostlyPassIsSpacedToItsShareOfACore) {
  const XtFingerprintPacing pacing{500ms, 0.02};
  EXPECT_EQ(pacing.spacing(300ms), 15s);
  EXPECT_EQ(pacing.spacing(20ms), 1s);
  // The share holds whatever the cost: cost / spacing is the share.
  for (std::chrono::nanoseconds cost : {15ms, 100ms, 1000ms, 7000ms})
    EXPECT_NEAR(std::chrono::duration<double>(cost).count() /
                    std::chrono::duration<double>(pacing.spacing(cost)).count(),
                0.02, 1e-9);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

XtDigest digest_in_pieces(const std::string& bytes, std::mt19937& random) {
  XtDigester d;
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t n =
        std::min(bytes.size() - at, std::uniform_int_distribution<size_t>(0, 11)(random));
    d.add(reinterpret_cast<const unsigned char*>(bytes.data()) + at, n);
    at += n;
  }
  return d.finish();
}

TEST(XtDigester, HowTheBytesAreCutDoesNotMatterEveryByteDoes) {
  std::mt19937 random(29);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(std::uniform_int_distribution<size_t>(0, 70)(random), '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    XtDigester whole;
    whole.add(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    const XtDigest expected = whole.finish();
    // Cut at random (pieces shorter than a word included): the same digest.
    EXPECT_EQ(digest_in_pieces(bytes, random), expected) << "round " << round;
    // Any one byte changed, in pieces too: another digest.
    if (bytes.empty()) continue;
    std::string other = bytes;
    other[std::uniform_int_distribution<size_t>(0, other.size() - 1)(random)] ^= 0x20;
    EXPECT_NE(digest_in_pieces(other, random), expected) << "round " << round;
  }
}

TEST(XtDigester, DigestsRoundTripThroughHex) {
  const XtDigest d{0x0123456789abcdefull, 0xfedcba9876543210ull};
  EXPECT_EQ(xt_digest_hex(d), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(xt_digest_from_hex(xt_digest_hex(d)), d);
  EXPECT_FALSE(xt_digest_from_hex("0123"));
  EXPECT_FALSE(xt_digest_from_hex("0123456789ABCDEFfedcba9876543210"));
}

}  // namespace
}  // namespace aim
