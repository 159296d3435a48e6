#pragma once
// The fingerprint of a legacy table's rendering: what lets the reader keep
// a rendered table and skip it at the next read when its entries have not
// changed (legacy/kept_tables.h). Taken two ways that must agree:
//   - legacy_table_digest: in the rendering child, from libiptc's parse of
//     its own copy of the entries, the copy it renders;
//   - legacy_entries_digest: in the parent, from its copy of the entries
//     (changes/sources.h), walked as libiptc parses them.
// libiptc makes its own copy, so the parent cannot know which state the
// child rendered; when both digests agree, the text rendered is the text of
// the parent's copy, and the reader may keep it under that copy's entries
// digest (changes/xt_fingerprint.h), whatever changed in between.
//
// What the rendered text is a function of, and so what the digest covers:
// the chains in libiptc's order, their names, whether built in, the built-in
// chains' policies, and every rule's entry bytes but its packet and byte
// counters (which iptables -S does not show), with the name libiptc gives
// its target. A jump's verdict is an offset in the table, which moves when
// anything before it grows; the digest takes the chain it names instead, so
// a rule's part of the digest does not depend on where it sits.
//
// What can change the text without changing the entries, and is not
// covered: the libxtables extensions installed (a package upgrade while the
// service runs) and the system's protocol names (/etc/protocols). Both are
// read afresh by every child; the full read the service asks for at start,
// every --interval and on reload bounds how long a changed one goes unseen.
#include <optional>
#include <string_view>

#include "rules/changes/xt_fingerprint.h"
#include "rules/legacy/shim.h"
#include "rules/ruleset.h"

namespace aim {

XtDigest legacy_table_digest(aim_table* table, Family family);
// nullopt where the walk cannot vouch for what libiptc would make of the
// entries: malformed, user chains not in name order (libiptc would sort
// them), a verdict or jump libiptc would refuse. The table is then rendered
// at every read, never kept.
std::optional<XtDigest> legacy_entries_digest(std::string_view entries, const XtTableHeader& header,
                                              Family family);

}  // namespace aim
