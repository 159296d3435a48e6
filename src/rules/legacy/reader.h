#pragma once
// Reads legacy (x_tables) rules with libiptc/libip6tc and renders them with
// libxtables in a child per family (forked when this process has one thread,
// else this program run again: child/job.h); see rule_stream.h for the
// framing.
// Reads only tables the kernel already has (never creates one or loads a
// module), takes no xtables lock, and never execs iptables.
//
// From its second read of a family on, it keeps each table it read whole
// with the digest of the entries it is the rendering of (legacy/
// kept_tables.h): it copies every table's entries first (one buffer, kept
// resident: the size of the largest table) and renders only the tables whose
// entries changed, returning the kept text of the others. forget_kept()
// makes the next read of each family render everything.
#include <array>
#include <chrono>
#include <string>

#include "rules/changes/sources.h"
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
  std::array<bool, 2> read_before_{};
  XtTableFingerprinter copier_{{Family::V4, Family::V6}};
};

// Runs in the rendering child: writes the table marks (kept_tables.h), then
// the rule stream for `tables`, to C stdout, and returns the exit status.
// Exposed for the reader only.
int render_legacy_family(Family family, const std::vector<std::string>& tables);

}  // namespace aim
