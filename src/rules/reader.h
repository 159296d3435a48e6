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
  // Polled during long reads: returning true abandons the read (an error).
  void set_abort(std::function<bool()> abort) { abort_ = std::move(abort); }

 protected:
  std::function<bool()> abort_;
};

// Every family from every reader, reader by reader.
inline std::vector<RuleSet> read_all(const std::vector<RuleReader*>& readers,
                                     const std::vector<Family>& families) {
  std::vector<RuleSet> sets;
  for (RuleReader* reader : readers)
    for (Family family : families) sets.push_back(reader->read(family));
  return sets;
}

}  // namespace aim
