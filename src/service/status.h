#pragma once
// The one line `systemctl status` shows. Pure.
#include <ctime>
#include <string>

#include "check/check.h"
#include "reconcile/unknown_grace.h"

namespace aim {

struct StatusContext {
  bool cluster_enabled = true;  // a node name is known
  std::string label_error;      // the last label request failed with this
  bool watching = false;        // the CiliumNode watch is open
  size_t allowlist_problems = 0;
  std::string trigger;  // what started the last check
  std::time_t next_check = 0;
};

// e.g. "3 unexpected rules (filter 2, nat 1); label true (watched); checked on interval; next check
// 12:05:00"
//      "clean (1234 lines allowed); label false; next check 12:05:00"
//      "cannot read legacy ipv4 table nat: ...; label left as it was; next check 12:05:00"
//      "cannot read ...; unreadable for 75 s: label true (fail-safe); next check ..."
std::string status_line(const Report& report, const LabelDecision& label,
                        const StatusContext& context);

}  // namespace aim
