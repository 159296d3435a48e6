#pragma once
// The I/O seam between the kernel and everything that decides: a reader turns
// one family of one backend into a RuleSet. Failures are inside the RuleSet
// (RuleSet::error, Table::error), never thrown, so no caller can mistake a
// partial read for a complete one.
#include <functional>
#include <optional>
#include <vector>

#include "rules/child_start.h"
#include "rules/ruleset.h"

namespace aim {

class RuleReader {
 public:
  virtual ~RuleReader() = default;
  virtual Backend backend() const = 0;
  // A per-family reader is asked for one family at a time; one that is not
  // (native nftables) is asked once, with none.
  virtual RuleSet read(std::optional<Family> family) = 0;
  virtual bool per_family() const { return true; }
  // A reader may keep what it read (to re-read only what changed since):
  // after this call the next read of every family trusts nothing kept and
  // reads everything. The service calls it for the checks that bound drift
  // (start, --interval, reload); a reader that keeps nothing ignores it.
  virtual void forget_kept() {}
  // Polled during long reads: returning true abandons the read (an error).
  void set_abort(std::function<bool()> abort) { abort_ = std::move(abort); }
  // How the reader starts its children (rules/child_start.h): the caller's
  // choice. Fork (checked at each start) unless set.
  void set_child_start(ChildStart start) { child_start_ = start; }

 protected:
  std::function<bool()> abort_;
  ChildStart child_start_ = ChildStart::Fork;
};

// What a per-family reader answers when asked for no family: an error, so
// the mistake is an `unknown` verdict, not an empty (clean) set.
inline RuleSet no_family_asked(Backend backend) {
  RuleSet set;
  set.backend = backend;
  set.error = "this reader reads one address family at a time, and none was asked for";
  return set;
}

// Every family from every reader, reader by reader (a reader that is not per
// family once). Readers run in order: the nft reader before the native one,
// which reads what the nft reader left to it.
inline std::vector<RuleSet> read_all(const std::vector<RuleReader*>& readers,
                                     const std::vector<Family>& families) {
  std::vector<RuleSet> sets;
  for (RuleReader* reader : readers) {
    if (!reader->per_family()) {
      sets.push_back(reader->read(std::nullopt));
      continue;
    }
    for (Family family : families) sets.push_back(reader->read(family));
  }
  return sets;
}

}  // namespace aim
