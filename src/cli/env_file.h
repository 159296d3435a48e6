#pragma once
// The service's environment file, read the way systemd reads it, so that a
// command run by hand sees what the service sees: the same allowlists, node
// name, credentials and options. Pure: text in, values out (reading the
// files is cli/configuration.cpp).
//
// Only a strict subset of systemd's EnvironmentFile= syntax is accepted, the
// part whose meaning is not in doubt: comment lines, NAME=VALUE with an
// unquoted, "double-quoted" or 'single-quoted' value on one line. Anything
// else (continuation lines, escapes other than \" \\ \$ \` in double quotes,
// quotes or backslashes inside an unquoted value, a '#' after a space, text
// after a closing quote, control characters, lines without '=') is refused
// with FILE:LINE, because systemd would read some of it differently from
// what it looks like.
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace aim {

// The operator's own environment file: no package ships it, so dpkg and rpm
// never ask about it on an upgrade (the packaged /etc/default or
// /etc/sysconfig file is a conffile: an edit there stops an unattended
// upgrade at dpkg's prompt). Read last: its assignments win.
inline constexpr const char* kLocalEnvironmentFile = "/etc/azure-iptables-monitor/environment";
// The unit's EnvironmentFile= lines, in its order (a later file's assignment
// wins, as in systemd). A test holds the unit to this list.
inline constexpr std::array<const char*, 3> kServiceEnvironmentFiles = {
    "/etc/default/azure-iptables-monitor", "/etc/sysconfig/azure-iptables-monitor",
    kLocalEnvironmentFile};
// The variable the unit passes on its command line (ExecStart=... $OPTS).
inline constexpr const char* kOptionsVariable = "AZURE_IPTABLES_MONITOR_OPTS";
// Environment files are a few KiB; anything larger is not one.
inline constexpr size_t kEnvFileReadLimit = 64 * 1024;

struct EnvAssignment {
  std::string name;
  std::string value;
  size_t line = 0;
};

struct EnvFile {
  std::string path;
  std::vector<EnvAssignment> assignments;  // in file order
};

// Parses `text` (the contents of `path`). Errors read "PATH:LINE: what; what
// to do".
Result<EnvFile> parse_env_file(std::string_view text, const std::string& path);

// Splits a variable's value into arguments as systemd does for a lone $VAR
// word in ExecStart=: at whitespace, with '...' and "..." grouping (the quotes
// removed). A backslash, an unterminated quote or an empty quoted word is
// refused (systemd's reading of those is not what anyone means).
Result<std::vector<std::string>> split_exec_words(std::string_view value);

// The variables, besides kOptionsVariable, that a command takes from the file
// when its own environment does not set them: the ones the program and its
// HTTP library read.
const std::vector<std::string>& env_file_variables();

// What a command takes from the service's environment file(s).
struct EnvFileConfiguration {
  // The words of kOptionsVariable: they go before the command line's
  // arguments, so an explicit flag (later; the last occurrence wins) wins.
  std::vector<std::string> option_words;
  // "FILE:LINE" of the assignment the words came from (empty if none).
  std::string options_origin;
  // Variables to set in the process (each unset or empty there).
  std::vector<std::pair<std::string, std::string>> environment;
  // For -v 2: "FILE (NODE_NAME, AZURE_IPTABLES_MONITOR_OPTS)" per file.
  std::string sources;
  // Names the file sets that this process's environment sets too (it wins).
  std::vector<std::string> overridden;
  // Names the file sets that a command does not use (only the service gets
  // them), alphabetically.
  std::vector<std::string> ignored;
};

// `files` in the unit's order; `set_in_process(NAME)` says whether the process
// environment sets NAME (non-empty).
Result<EnvFileConfiguration> configuration_from(
    const std::vector<EnvFile>& files,
    const std::function<bool(const std::string&)>& set_in_process);

// Which file(s) a command reads: --env-file, else $AIM_ENV_FILE, else the
// unit's (kServiceEnvironmentFiles, each optional). "none" reads none.
struct EnvFileChoice {
  std::vector<std::string> paths;
  bool missing_ok = true;   // only the unit's defaults may be absent
  std::string disabled_by;  // "--env-file none" / "AIM_ENV_FILE=none" when none is read
};
EnvFileChoice choose_env_files(const std::optional<std::string>& flag, const char* env_value);

}  // namespace aim
