#pragma once
// libnftables, run in a child. Its listing and parsing code trusts the
// kernel's rules: a REJECT code past its table, a payload it cannot expand
// (an assertion) crash it. So every libnftables command of the product runs
// in a child job: a crash there makes a table unknown, never the service.
#include <string>

#include "rules/child_start.h"
#include "util/result.h"

namespace aim {

enum class NftCommandMode {
  List,        // stateless, terse (no set elements), with handles: nft syntax
  DebugList,   // the same as JSON, after nft's netlink debug output of each rule
  DebugCheck,  // check mode (nothing committed), with the netlink debug output
};

// Runs `commands` (one or more lines) through libnftables in a child;
// its output, or why not (nft's error, or how the child ended).
Result<std::string> run_nft_command(NftCommandMode mode, const std::string& commands,
                                    ChildStart start);

// The child's side: runs the commands in file `path` in `mode` ("list",
// "debug-list", "debug-check"), printing libnftables' output to stdout
// and its error to stderr. Returns the exit status.
int nft_command_job(const std::string& mode, const std::string& path);

}  // namespace aim
