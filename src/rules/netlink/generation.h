#pragma once
// Reading nf_tables state as one whole state. The ruleset generation
// (NFT_MSG_GETGEN) moves when a commit starts, before the commit has
// applied everything and before its notifications are sent; a read that
// starts at a generation no commit is under way at and ends at the same
// generation saw no commit. The nft reader, the native reader and the
// helper all read this way: this is the one place that says how.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "rules/netlink/socket.h"
#include "util/result.h"

namespace aim {

// The ruleset generation now (a commit may be under way).
Result<uint32_t> generation(NftNetlink& netlink);

// The generation once no commit is under way (NftNetlink::generation_settled),
// looked at up to `looks` times while commits keep starting; then EAGAIN.
Result<uint32_t> settled_generation(NftNetlink& netlink, int looks = 10);

// What a read returns when it saw a commit itself (a dump the kernel
// marked interrupted): read again, `why` naming what changed.
struct ReadAgain {
  std::string why;
};
template <typename T>
using StableRead = std::variant<T, ReadAgain>;

// The loop itself, for read_at_stable_generation: `read_once` returns
// nothing when its read is done, or why to read again.
Status repeat_at_stable_generation(int attempts,
                                   const std::function<std::optional<std::string>()>& read_once);

// Runs `read` (returning StableRead<T>) between a settled generation and
// the generation after it, until the two are equal: then what `read` gave,
// errors inside T included, is one whole state. A read a commit ran across,
// or that returned ReadAgain, is done again, `attempts` times in all; then
// an error with code EAGAIN naming the last change (the next check reads
// again). An error reading the generation is returned as it is. Fail
// closed: nothing read across a commit is ever returned.
template <typename T, typename F>
Result<T> read_at_stable_generation(int attempts, F&& read) {
  std::optional<T> kept;
  const Status done = repeat_at_stable_generation(attempts, [&]() -> std::optional<std::string> {
    StableRead<T> got = read();
    if (auto* again = std::get_if<ReadAgain>(&got)) return std::move(again->why);
    kept = std::move(std::get<T>(got));
    return std::nullopt;
  });
  if (!done) return Error{done.error(), done.error_code()};
  return std::move(*kept);
}

}  // namespace aim
