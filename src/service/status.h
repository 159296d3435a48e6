#pragma once
// The one line `systemctl status` shows after every check. Pure.
#include <ctime>
#include <string>

#include "check/check.h"
#include "reconcile/unknown_grace.h"

namespace aim {

// e.g. "3 unexpected rules (filter 2, nat 1); label true; next check 12:05:00"
//      "clean (1234 lines allowed); label false; next check 12:05:00"
//      "cannot read legacy ipv4 table nat: ...; label left as it was; next check 12:05:00"
//      "cannot read ...; unreadable for 75 s: label true (fail-safe); next check ..."
// `label_error` is set when the label could not be sent.
std::string status_line(const Report& report, const LabelDecision& label, bool cluster_enabled,
                        const std::string& label_error, std::time_t next_check);

}  // namespace aim
