#pragma once
// Every flag, its default and its meaning, in one place. main.cpp binds these
// to CLI11; the commands only read them.
#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "rules/print.h"
#include "rules/ruleset.h"

namespace aim {

enum class BackendChoice { Auto, Legacy, Nft };
enum class ReportFormat { Text, Json };

struct GlobalOptions {
  int verbosity = 0;
  BackendChoice backend = BackendChoice::Auto;
  std::string input = "/etc/config/";    // IPv4 allowlist directory
  std::string input6 = "/etc/config6/";  // IPv6 allowlist directory
  bool ipv6 = false;                     // also check ip6tables
  bool nftables = true;                  // also check native nftables tables
  std::string kubeconfig;                // --kubeconfig, else $KUBECONFIG, kubelet's, in-cluster
  std::string node_name;                 // --node-name, else $NODE_NAME
  bool events = false;                   // Warning Events on the Node
  double request_timeout_seconds = 5;    // per API request
  double interval_seconds = 300;         // service: time between checks
  double unknown_grace_seconds = 60;     // service: unknown this long (and 2 checks) -> "true"
  bool terminate_on_success = false;     // service: exit 0 after a clean, labelled check
  bool watch_ciliumnode = true;          // service: follow the CiliumNode, send on difference
  bool watch_rules = true;               // service: rule changes start a check
  double min_check_interval_seconds = 0;  // service: a ceiling on change checks; 0: none
  bool check_map = false;                // service: watch the BPF block counter
  std::string map_path = "/azure-block-iptables-bpf-map/iptables_block_event_counter";
  bool install_routes = false;  // service: ensure health-probe reply routes
  std::string metrics_file;     // service: Prometheus textfile, written after every check
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
