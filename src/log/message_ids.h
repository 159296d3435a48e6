#pragma once
// journald MESSAGE_ID values of the entries an operator searches for
// (`journalctl MESSAGE_ID=...`, alerting on the journal). Fixed 128-bit ids,
// made once at random (systemd's convention, sd-id128(3)); never change one:
// they are documented in the README and the man page, and searches depend
// on them.
#include <string_view>

namespace aim {

// The verdict changed (clean / unexpected / unknown), or the first verdict
// after the start: fields VERDICT and (since the change) the summary.
inline constexpr std::string_view kVerdictChangedMessageId = "f0dcdbe252dc418db7c7a20cc6c8319b";
// An unexpected rule (one entry per rule when it appears): fields BACKEND,
// FAMILY, TABLE, CHAIN, RULE.
inline constexpr std::string_view kUnexpectedRuleMessageId = "1e1ab4497e3f4d3a9ab5f763780f1755";

}  // namespace aim
