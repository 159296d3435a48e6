#pragma once
// What the legacy reader keeps between reads so that a re-check costs what
// changed (issue 29 item 3), decided without I/O.
//
// Per table, the reader keeps the Table it last returned and the digest of
// the entries that Table is the rendering of (changes/xt_fingerprint.h:
// every byte but the counters). Before each read it copies every table's
// entries (the copy buffer stays resident) and digests them: a table whose
// digest is the kept one comes back as the kept text; the others are
// rendered by the child. A rendered table is kept only when the child's
// digest of what it rendered (legacy_table_digest, from libiptc's own copy)
// agrees with the parent's walk of the parent's copy (legacy_entries_digest):
// then the text is the rendering of the copy whose entries digest it is
// kept under, even if the table changed between the two copies.
//
// Before its rule stream (child/rule_stream.h) the child writes one record
// per table it opened:
//   F<table> <32 hex>\0   the digest of what it renders for the table
// A table the child could not open has no record.
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
};

std::string format_table_mark(const LegacyTableMark& mark);
// Takes the F records off the front of `stream`. nullopt (and `stream`
// untouched) when one is malformed.
std::optional<std::vector<LegacyTableMark>> take_table_marks(std::string_view& stream);

// What the parent's copy says of one table before the read.
struct LegacyTableCopy {
  std::string table;
  std::optional<XtDigest> entries;  // the entries' digest; none when the copy failed
  // What the child's digest must be for the rendering to be kept under
  // `entries` (legacy_entries_digest); none when the walk cannot vouch.
  std::optional<XtDigest> rendering;
};

// The kept tables of one family.
class KeptLegacyTables {
 public:
  // The tables to render (in the copies' order): every one whose entries
  // digest is not the one kept.
  std::vector<std::string> to_render(const std::vector<LegacyTableCopy>& copies) const;
  // The whole set of the copies' tables from `rendered_set` (parsed from the
  // child's stream: the tables to_render named) and the kept tables; then
  // keeps what this read can vouch for, as above. Anything else is
  // forgotten, so it is rendered next time: a table with an error, a table
  // gone, everything after a set-level error.
  RuleSet complete(const std::vector<LegacyTableCopy>& copies,
                   const std::vector<LegacyTableMark>& marks, RuleSet rendered_set);
  void forget() { kept_.clear(); }
  size_t size() const { return kept_.size(); }

 private:
  struct Kept {
    XtDigest entries{};
    Table table;
    // The arena the table's text lives in, kept alive with it.
    std::shared_ptr<TextArena> arena;
  };
  // The kept rendering of the copy's table, if its entries have not changed.
  const Kept* unchanged(const LegacyTableCopy& copy) const;
  std::map<std::string, Kept> kept_;
};

}  // namespace aim
