#pragma once
// Reads legacy (x_tables) rules with libiptc/libip6tc and renders them with
// libxtables in a child per family (forked when this process has one thread,
// else this program run again: child/job.h); see rule_stream.h for the
// framing.
// Reads only tables the kernel already has (never creates one or loads a
// module), takes no xtables lock, and never execs iptables.
//
// It keeps each table it read whole with the fingerprint of what it rendered
// (legacy/kept_tables.h): the next read renders only the tables whose
// fingerprint moved, and returns the kept text of the others. forget_kept()
// makes the next read of each family render everything.
#include <array>
#include <chrono>
#include <string>

#include "rules/legacy/kept_tables.h"
#include "rules/reader.h"

namespace aim {

class LegacyReader : public RuleReader {
 public:
  explicit LegacyReader(std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : timeout_(timeout) {}
  Backend backend() const override { return Backend::Legacy; }
  RuleSet read(std::optional<Family> family) override;
  void forget_kept() override {
    for (KeptLegacyTables& kept : kept_) kept.forget();
  }

 private:
  std::chrono::milliseconds timeout_;
  std::array<KeptLegacyTables, 2> kept_;  // per family: V4, V6
};

// Runs in the rendering child: writes the table marks (kept_tables.h), then
// the rule stream of every table whose fingerprint moved, to C stdout, and
// returns the exit status. `tables`: one argument per table
// (format_table_arg). Exposed for the reader only.
int render_legacy_family(Family family, const std::vector<std::string>& tables);

}  // namespace aim
