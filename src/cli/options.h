#pragma once
// Every flag and its meaning, bound to CLI11 here (register_options); the
// defaults are the structs' own (the service's in service/service_options.h).
// The commands only read them.
#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "rules/print.h"
#include "rules/ruleset.h"
#include "service/service_options.h"

namespace aim {

enum class BackendChoice { Auto, Legacy, Nft };
enum class ReportFormat { Text, Json };

// The options every command and the service share: the service's own
// (defaults in service/service_options.h, the one place) and what only the
// commands use. main hands the ServiceOptions part to the service as parsed.
struct GlobalOptions : ServiceOptions {
  int verbosity = 0;
  BackendChoice backend = BackendChoice::Auto;
  bool nftables = true;  // also check native nftables tables
};

struct RulesOptions {
  std::string family = "4";  // "4", "6" or "all"
  RulesFormat format = RulesFormat::Tsv;
  int verbosity = 0;
  // With --backend auto, a backend with no tables is left out of the output.
  bool skip_empty_backends = false;
};

struct CheckOptions {
  bool dry_run = false;
  ReportFormat output = ReportFormat::Text;
};

struct ValidateOptions {
  // Warnings about patterns that allow more than they name (text in a
  // comment can satisfy them) fail validation too. Off by default: upstream's
  // ConfigMaps have such patterns and must keep validating.
  bool strict = false;
};

struct CommandLine {
  GlobalOptions global;
  RulesOptions rules;
  CheckOptions check;
  ValidateOptions validate;
  CLI::App* rules_command = nullptr;
  CLI::App* check_command = nullptr;
  CLI::App* validate_command = nullptr;
  CLI::Option* input6_option = nullptr;
  // Commands only: the environment file to read instead of the service's.
  std::string env_file;
  CLI::Option* env_file_option = nullptr;
  // The unit's ExecCondition=: is a node name configured? (main acts on the
  // word before parsing, so that a parse error cannot skip the service.)
  bool exec_condition = false;

  // The command given, or nullptr for the service.
  const CLI::App* command() const;
};

// Registers the flags and subcommands on `app`, writing into `cl`.
void register_options(CLI::App& app, CommandLine& cl);

// The program's options (given before or after the command name) that
// `command` uses besides its own, by their first name ("--input"): listed at
// the end of its --help, and all the completion offers after it. The others
// are the service's.
const std::vector<std::string>& program_options_of(const std::string& command);

// After a parse: --help shows each option given (by the environment file's
// options or the command line) with its value, in place of the built-in
// default, so that it shows the values in force.
void show_values_in_force(CLI::App& app);

std::vector<Family> families_from(const std::string& choice);

// Long flag names for normalize_go_flags.
const std::set<std::string>& go_style_flag_names();

// A command's arguments: the service's options (the words of its environment
// file's AZURE_IPTABLES_MONITOR_OPTS) first, then its own command line, both
// with Go-style flags normalized. Every option takes its last occurrence, so
// a flag given on the command line wins over the file's.
std::vector<std::string> merge_arguments(const std::vector<std::string>& service_options,
                                         const std::vector<std::string>& command_line);

}  // namespace aim
