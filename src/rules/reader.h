#pragma once
// The I/O seam between the kernel and everything that decides: a reader turns
// one family of one backend into a RuleSet. Failures are inside the RuleSet
// (RuleSet::error, Table::error), never thrown, so no caller can mistake a
// partial read for a complete one.
#include <functional>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

class RuleReader {
 public:
  virtual ~RuleReader() = default;
  virtual Backend backend() const = 0;
  virtual RuleSet read(Family family) = 0;
  // False for a reader whose tables are not per address family (native
  // nftables): it is read once, not once per family.
  virtual bool per_family() const { return true; }
  // Polled during long reads: returning true abandons the read (an error).
  void set_abort(std::function<bool()> abort) { abort_ = std::move(abort); }

 protected:
  std::function<bool()> abort_;
};

// Every family from every reader, reader by reader (a reader that is not per
// family once). Readers run in order: the nft reader before the native one,
// which reads what the nft reader left to it.
inline std::vector<RuleSet> read_all(const std::vector<RuleReader*>& readers,
                                     const std::vector<Family>& families) {
  std::vector<RuleSet> sets;
  for (RuleReader* reader : readers) {
    if (!reader->per_family()) {
      sets.push_back(reader->read(Family::V4));
      continue;
    }
    for (Family family : families) sets.push_back(reader->read(family));
  }
  return sets;
}

}  // namespace aim
