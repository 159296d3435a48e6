#pragma once
// The I/O seam between the kernel and everything that decides: a reader turns
// one family of one backend into a RuleSet. Failures are inside the RuleSet
// (RuleSet::error, Table::error), never thrown, so no caller can mistake a
// partial read for a complete one.
#include "rules/ruleset.h"

namespace aim {

class RuleReader {
 public:
  virtual ~RuleReader() = default;
  virtual Backend backend() const = 0;
  virtual RuleSet read(Family family) = 0;
};

}  // namespace aim
