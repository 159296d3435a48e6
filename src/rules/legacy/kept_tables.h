#pragma once
// What the legacy reader keeps between reads so that a re-check costs what
// changed (issue 29 item 3), decided without I/O.
//
// The parent keeps, per table, the Table it last returned and the
// fingerprint of what that Table was rendered from (legacy/table_digest.h).
// It hands the fingerprints to the rendering child with the table names
// ("nat=<32 hex>"); the child opens every table, fingerprints what it opened
// and renders only the tables whose fingerprint moved. The fingerprint and
// the text come from the same libiptc copy, in the child, so a change that
// lands between two copies can never pair one state's fingerprint with
// another state's text.
//
// Before its rule stream (child/rule_stream.h) the child writes one record
// per table it opened:
//   F<table> <32 hex> <r|k>\0   the table's fingerprint; r: rendered below,
//                                k: unchanged, not rendered (keep it)
// A table the child could not open has no record; it is rendered (with its
// error).
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/changes/xt_fingerprint.h"
#include "rules/ruleset.h"

namespace aim {

struct LegacyTableMark {
  std::string table;
  XtDigest digest{};
  bool unchanged = false;  // the child did not render it: its fingerprint is the kept one
};

std::string format_table_mark(const LegacyTableMark& mark);
// Takes the F records off the front of `stream`. nullopt (and `stream`
// untouched) when one is malformed.
std::optional<std::vector<LegacyTableMark>> take_table_marks(std::string_view& stream);

// One argument of the child job per table: "nat", or "nat=<32 hex>" with the
// fingerprint kept for it.
struct LegacyTableArg {
  std::string table;
  std::optional<XtDigest> kept;
};
std::string format_table_arg(const LegacyTableArg& arg);
// A malformed fingerprint reads as none: the table is rendered.
LegacyTableArg parse_table_arg(std::string_view arg);

// The kept tables of one family.
class KeptLegacyTables {
 public:
  // The child job's table arguments for `tables`.
  std::vector<std::string> job_args(const std::vector<std::string>& tables) const;
  // The tables the child rendered (in `tables` order): every one not marked
  // unchanged.
  static std::vector<std::string> rendered(const std::vector<std::string>& tables,
                                           const std::vector<LegacyTableMark>& marks);
  // The whole set of `tables` from `rendered_set` (parsed from the child's
  // stream, rendered tables only) and the kept tables the marks say are
  // unchanged; then keeps what this read can vouch for: every table read
  // whole with a fingerprint. Anything else is forgotten, so it is read in
  // full next time: a table with an error, a table gone, everything after a
  // set-level error. A mark `unchanged` for a table not kept with that
  // fingerprint (a child that disagrees with its parent) makes that table an
  // error, never an empty or stale one.
  RuleSet complete(const std::vector<std::string>& tables,
                   const std::vector<LegacyTableMark>& marks, RuleSet rendered_set);
  void forget() { kept_.clear(); }
  size_t size() const { return kept_.size(); }

 private:
  struct Kept {
    XtDigest digest{};
    Table table;
    // The arena the table's text lives in, kept alive with it.
    std::shared_ptr<TextArena> arena;
  };
  std::map<std::string, Kept> kept_;
};

}  // namespace aim
