#pragma once
// Parses iptables-save text (as iptables-nft-save prints it) into a RuleSet
// whose lines are exactly what `iptables -t T -S CHAIN` prints: ":CHAIN
// POLICY [p:b]" headers become "-P CHAIN POLICY" or "-N CHAIN", "-A" lines are
// kept as they are. Pure.
//
// iptables prints interface names, comments and other strings raw, so rule
// text can hold newlines, quotes and lines that look like "*filter" or
// "COMMIT". The text alone therefore never decides where a rule ends: the
// kernel's layout (chains, and per rule how many newlines its text holds)
// does, and the text must agree with it exactly. Any disagreement (a table
// header twice, a chain the kernel does not have, more or fewer rules, a line
// where none belongs) makes the whole family unreadable: verdict unknown,
// never content.
//
// A table iptables-nft reports as incompatible (or holding incompatible base
// chains), or one the kernel has but the text lacks, is unreadable too.
#include <memory>
#include <string>
#include <string_view>

#include "rules/netlink/kernel_layout.h"
#include "rules/ruleset.h"

namespace aim {

RuleSet parse_save_text(std::string text, Family family, Backend backend,
                        const KernelLayout& layout);
// The same for text owned elsewhere; `owner` keeps it alive with the RuleSet.
RuleSet parse_save_text(std::string_view text, std::shared_ptr<const void> owner, Family family,
                        Backend backend, const KernelLayout& layout);

}  // namespace aim
