#pragma once
// Reads legacy (x_tables) rules with libiptc/libip6tc and renders them with
// libxtables in a child per family (forked when this process has one thread,
// else this program run again: child/job.h); see rule_stream.h for the
// framing.
// Reads only tables the kernel already has (never creates one or loads a
// module), takes no xtables lock, and never execs iptables.
#include <chrono>
#include <string>

#include "rules/reader.h"

namespace aim {

class LegacyReader : public RuleReader {
 public:
  explicit LegacyReader(std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : timeout_(timeout) {}
  Backend backend() const override { return Backend::Legacy; }
  RuleSet read(std::optional<Family> family) override;

 private:
  std::chrono::milliseconds timeout_;
};

// Runs in the rendering child: writes the rule stream for `tables` to C
// stdout and returns the exit status. Exposed for the reader only.
int render_legacy_family(Family family, const std::vector<std::string>& tables);

}  // namespace aim
