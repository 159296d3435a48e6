#pragma once
// Where a command run by hand (rules, check, validate) gets its configuration:
// the service's environment file(s), read here (env_file.h parses them), then
// the command line. The service itself never reads them: systemd already has
// (EnvironmentFile=) and passes the options on its command line.
#include <string>

#include "cli/env_file.h"
#include "util/result.h"

namespace aim {

struct CommandConfiguration {
  EnvFileConfiguration from_files;
  // For -v 2: "configuration: /etc/default/azure-iptables-monitor (NODE_NAME,
  // AZURE_IPTABLES_MONITOR_OPTS), then the command line".
  std::string description;
};

// Reads the chosen files as untrusted input (regular files only, at most
// kEnvFileReadLimit bytes; see read_file). A missing unit default is skipped;
// a missing file named by --env-file or $AIM_ENV_FILE is an error.
Result<CommandConfiguration> load_command_configuration(const EnvFileChoice& choice);

// Sets the variables the files supplied (setenv; none is set already).
void apply_environment(const EnvFileConfiguration& config);

}  // namespace aim
