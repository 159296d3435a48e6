// Wiring only: parse the command line, build the parts, run a command.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/check_command.h"
#include "cli/go_flags.h"
#include "cli/options.h"
#include "cli/rules_command.h"
#include "kube/node_name.h"
#include "log/logger.h"
#include "rules/legacy_reader.h"
#include "rules/native_reader.h"
#include "rules/nft_reader.h"
#include "service/daemon.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG: a restart cannot fix this

}  // namespace

int main(int argc, char** argv) {
  // Rule listings run to millions of bytes; C++ streams synced with stdio
  // would write them a character at a time.
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  args = aim::normalize_go_flags(args, aim::go_style_flag_names());
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first

  CLI::App app{"azure-iptables-monitor", "azure-iptables-monitor"};
  aim::CommandLine cl;
  aim::register_options(app, cl);
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }

  if (cl.validate_command->parsed())
    return aim::run_validate_command(cl.global, cl.global.ipv6 || cl.input6_option->count() > 0,
                                     std::cout, std::cerr);

  // In this order: the native reader reads what the nft reader leaves it.
  std::vector<std::unique_ptr<aim::RuleReader>> owned;
  auto delegated = std::make_shared<aim::DelegatedTables>();
  if (cl.global.backend != aim::BackendChoice::Nft)
    owned.push_back(std::make_unique<aim::LegacyReader>());
  if (cl.global.backend != aim::BackendChoice::Legacy) {
    auto nft = std::make_unique<aim::NftReader>();
    if (cl.global.nftables) nft->delegate_incompatible_to(delegated);
    owned.push_back(std::move(nft));
  }
  // `rules --backend legacy|nft` prints that backend alone; every check
  // reads native tables unless --nftables=false.
  const bool native = cl.global.nftables && (!cl.rules_command->parsed() ||
                                             cl.global.backend == aim::BackendChoice::Auto);
  if (native) owned.push_back(std::make_unique<aim::NativeNftReader>(delegated));
  std::vector<aim::RuleReader*> readers;
  for (auto& r : owned) readers.push_back(r.get());

  cl.rules.verbosity = cl.global.verbosity;
  cl.rules.skip_empty_backends = cl.global.backend == aim::BackendChoice::Auto;
  if (cl.rules_command->parsed())
    return aim::run_rules_command(cl.rules, readers, std::cout, std::cerr);
  if (cl.check_command->parsed()) {
    if (!cl.check.dry_run && cl.global.node_name.empty()) {
      std::cerr << "azure-iptables-monitor: error: no node name: set --node-name or NODE_NAME "
                   "(the CiliumNode to label), or use --dry-run to only report\n";
      return kExitConfig;
    }
    if (!cl.global.node_name.empty() && !aim::is_valid_node_name(cl.global.node_name)) {
      std::cerr << "azure-iptables-monitor: error: "
                << aim::invalid_node_name_message(cl.global.node_name) << '\n';
      return kExitConfig;
    }
    return aim::run_check_command(cl.global, cl.check, readers, std::cout, std::cerr);
  }

  // No command: the service. Its errors go to the journal at priority err
  // (journalctl -p err), with the fields an operator filters on.
  aim::Logger log(cl.global.verbosity, aim::Logger::stderr_is_journal());
  if (cl.global.node_name.empty()) {
    log.error(
        "no node name: set NODE_NAME (in /etc/default/azure-iptables-monitor, or "
        "/etc/sysconfig/azure-iptables-monitor on RPM systems) or --node-name; the service "
        "labels that node's CiliumNode. Not restarting (exit status 78).",
        {{"EXIT_STATUS", std::to_string(kExitConfig)}});
    return kExitConfig;
  }
  if (!aim::is_valid_node_name(cl.global.node_name)) {
    log.error(
        aim::invalid_node_name_message(cl.global.node_name) + ". Not restarting (exit status 78).",
        {{"EXIT_STATUS", std::to_string(kExitConfig)}});
    return kExitConfig;
  }
  aim::DaemonOptions daemon_options{cl.global, cl.global.interval_seconds,
                                    cl.global.terminate_on_success,
                                    cl.global.unknown_grace_seconds};
  aim::Daemon daemon(daemon_options, readers, log);
  return daemon.run();
}
