#pragma once
// Reads the rules iptables-nft manages, in-process (nft/helper.h: a
// snapshot of the family's tables at one ruleset generation, each rule
// translated back to iptables-nft's text in a child per family). A rule
// whose iptables text would not be the whole rule, and a table iptables
// text cannot show as it is, are left to the native reader (nft syntax,
// matched with the `nftables` file); without one (--nftables=false) they
// leave their table unknown. iptables-nft-save's text never decides a
// verdict: it prints such rules lossily. Mode::SaveText (iptables-nft-save
// held against the kernel's layout) remains as a reference for tests and
// benchmarks only. A failing read is a read error (verdict unknown), never
// an empty table.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/child/process.h"
#include "rules/child/served_child.h"
#include "rules/delegated_tables.h"
#include "rules/reader.h"

namespace aim {

class NftReader : public RuleReader {
 public:
  enum class Mode {
    InProcess,  // translate in-process (the product)
    SaveText,   // iptables-nft-save for everything (a reference for tests)
  };
  explicit NftReader(std::chrono::milliseconds timeout = std::chrono::seconds(120),
                     std::string save_v4 = "iptables-nft-save",
                     std::string save_v6 = "ip6tables-nft-save", Mode mode = Mode::InProcess)
      : timeout_(timeout),
        save_v4_(std::move(save_v4)),
        save_v6_(std::move(save_v6)),
        mode_(mode) {}
  Backend backend() const override { return Backend::Nft; }
  RuleSet read(std::optional<Family> family) override;
  // With a native reader: tables iptables text cannot show, and rules whose
  // iptables text would not be the whole rule, are left out of this
  // reader's sets and named in `delegated` for the native reader.
  void delegate_incompatible_to(std::shared_ptr<DelegatedTables> delegated) {
    delegated_ = std::move(delegated);
  }
  // The service's choice: one long-lived helper per family keeps its
  // snapshot and listens for commits between reads, so a read costs what
  // changed since the last one (nft/helper.h), not a full read.
  void keep_helpers_between_reads() { keep_helpers_ = true; }
  // With kept helpers: the next read of each family asks its helper for
  // every table whole, not for what changed since the set kept.
  void forget_kept() override {
    for (auto& kept : kept_) kept.reset();
  }
  ~NftReader() override;
  // Deltas spliced onto one full answer at most (see KeptSet).
  static constexpr size_t kMaxDeltas = 64;

 private:
  struct Attempt;
  Attempt read_consistently(const std::string& path, Family family, const std::string& only_table);
  RuleSet read_with_save(const std::string& program, const std::string& path, Family family);
  RuleSet read_in_process(Family family);
  // The family's rule stream from the in-process renderer; `request` is
  // the kept helper's (served_child.h).
  Result<ChildOutput> render(Family family, const std::string& request);
  std::shared_ptr<DelegatedTables> delegated_;
  bool keep_helpers_ = false;
  std::unique_ptr<ServedChild> helpers_[2];  // per family, started at the first read
  // Each helper's slowest answer so far (none: not answered yet).
  std::optional<std::chrono::milliseconds> slowest_answer_[2];
  // The least a helper that has answered before is given to answer again.
  static constexpr std::chrono::milliseconds kHelperGrace{3000};
  std::string helper_note_;  // how the last read went around its helper
  // Per family, the set a helper's answer built, as parsed (before native
  // rules and tables are handed over): a helper asked with its answer's
  // number sends only what changed since (child/rule_delta.h).
  struct KeptSet {
    uint64_t helper = 0, answer = 0;
    RuleSet set;
    // Each spliced set keeps its base's text alive (a chain of arenas, the
    // replaced chains' text included): after kMaxDeltas deltas, or once the
    // deltas' text outweighs the last full answer's, a full answer starts
    // the chain again, so memory and the chain's length stay bounded.
    size_t deltas = 0, delta_bytes = 0, full_bytes = 0;
    bool wants_full() const { return deltas >= kMaxDeltas || delta_bytes > full_bytes; }
  };

  std::optional<KeptSet> kept_[2];
  std::chrono::milliseconds timeout_;
  std::string save_v4_, save_v6_;
  Mode mode_;
};

// Finds `program` in the directories iptables is installed in, then $PATH.
std::string find_program(const std::string& program);

}  // namespace aim
