#pragma once
// The fingerprint of a legacy table as the rendering child opened it
// (libiptc's copy of the kernel's entries, parsed), taken from the very copy
// it renders: what lets the reader keep a rendered table and skip it at the
// next read when its fingerprint has not moved (legacy/kept_tables.h).
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
#include "rules/changes/xt_fingerprint.h"
#include "rules/legacy/shim.h"
#include "rules/ruleset.h"

namespace aim {

XtDigest legacy_table_digest(aim_table* table, Family family);

}  // namespace aim
