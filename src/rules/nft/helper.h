#pragma once
// The in-process reader of iptables-nft's tables, the child's side: a
// snapshot of the family (nft/snapshot.h: the chain list and one netlink
// rule dump per chain at one ruleset generation, repaired while commits land
// in between), each rule translated (nft/translate.h) and printed with
// libxtables' save() functions (nft/render.h, nft/shim.h) into exactly the
// lines `iptables-nft -t TABLE -S CHAIN` prints. It runs in a child per
// family, like the legacy renderer (libxtables' per-family state and its
// non-returning fatal handler), and writes the rule stream (rule_stream.h),
// starting with the snapshot record (its generation and tables).
//
// A rule whose iptables text would not be the whole rule (nft/expected.h)
// is left out of its chain and named in a native rule record instead, for
// the native reader to show in nft syntax. A table whose chains iptables
// text cannot show as they are (base chains that are not iptables' own, a
// chain name with a space or quote) ends with an error record starting with
// kNftNativeTableMark: the parent hands the whole table to the native reader.
#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

inline constexpr std::string_view kNftNativeTableMark = "not an iptables layout: ";
// Snapshots tried before the child gives up, exiting with
// ChildExit::RulesetChanged (the ruleset, not the translation, is the
// problem: the next check reads again).
inline constexpr int kNftSnapshotAttempts = 5;

// The child's body: renders every iptables table of `family` to C stdout.
// Returns the child's exit status.
int render_nft_family(Family family);
// The long-lived child's body (the service's): answers each request read
// from the socket `requests` with the family's rule stream in a memfd
// (served_child.h), keeping the snapshot and listening between requests,
// so that a request after a quiet spell costs one generation query and one
// after kube-proxy's sync only the chains it touched. Returns when the
// socket closes.
int serve_nft_family(Family family, int requests);

}  // namespace aim
