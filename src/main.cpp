// Wiring only: parse the command line, build the parts, run a command.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <variant>

#include "cli/check_command.h"
#include "cli/configuration.h"
#include "cli/go_flags.h"
#include "cli/options.h"
#include "cli/parse_error.h"
#include "cli/rules_command.h"
#include "cli/unlabel_command.h"
#include "kube/kubeconfig.h"
#include "kube/node_identity.h"
#include "kube/node_name.h"
#include "log/logger.h"
#include "rules/jobs/child_jobs.h"
#include "rules/legacy/reader.h"
#include "rules/native/reader.h"
#include "rules/nft/reader.h"
#include "service/daemon.h"
#include "service/runtime.h"
#include "service/unit_state.h"
#include "util/sandbox_paths.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG: a restart cannot fix this
constexpr const char* kPrefix = "azure-iptables-monitor: ";

// One parse of one argument list (CLI11 apps are neither copyable nor
// reusable).
struct Parsed {
  CLI::App app{"azure-iptables-monitor", "azure-iptables-monitor"};
  aim::CommandLine cl;
  Parsed() { aim::register_options(app, cl); }

  // Parses `args` (normalized). On a parse error or --help/--version returns
  // the exit status after printing; `note` goes before a parse error.
  std::optional<int> parse(const std::vector<std::string>& args, const std::string& note = "") {
    try {
      parse_or_throw(args);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      // Under systemd this is why the service stopped: a journal entry at
      // priority err (journalctl -p err), not stderr text at info.
      const bool journal = aim::Logger::stderr_is_journal();
      aim::Logger(0, journal)
          .error((note.empty() ? "" : note + " ") + aim::parse_error_message(e, app) +
                     " (--help lists the options" +
                     (journal ? "; not restarting: exit status 78)" : ")"),
                 {{"EXIT_STATUS", std::to_string(kExitConfig)}});
      return kExitConfig;
    }
    return std::nullopt;
  }
  void parse_or_throw(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
    app.parse(args);
  }
};

std::vector<std::string> normalized(const std::vector<std::string>& args) {
  return aim::normalize_go_flags(args, aim::go_style_flag_names());
}

bool has_word(const std::vector<std::string>& args, const std::string& word) {
  const auto end = std::find(args.begin(), args.end(), "--");
  return std::find(args.begin(), end, word) != end;
}

std::string no_node_name_message(aim::Runtime runtime, const std::string& consequence) {
  // In a pod the kubelet's kubeconfig is not there to read: the downward
  // API is the way.
  return "no node name: " + aim::node_name_hint(runtime, aim::kLocalEnvironmentFile) +
         (runtime == aim::Runtime::Pod
              ? std::string("; the service labels that node's CiliumNode. ")
              : std::string(", or give the service the kubelet's kubeconfig (its client "
                            "certificate names the node: CN=system:node:NAME); the service "
                            "labels that node's CiliumNode. ")) +
         consequence;
}

// The node name given (--node-name, NODE_NAME), else the one the kubelet's
// client certificate names. Sets global.node_name and `origin` ("NODE_NAME"
// when given), or returns why not (the code is a NodeIdentityFailure).
std::optional<aim::Error> fill_node_name(aim::GlobalOptions& global, bool service_sandbox,
                                         std::string& origin) {
  if (!global.node_name.empty()) {
    origin.clear();
    return std::nullopt;
  }
  auto identity = aim::node_identity_from_credentials(global.kubeconfig, service_sandbox);
  if (!identity) return aim::Error{identity.error(), identity.error_code()};
  global.node_name = identity->name;
  origin = identity->origin;
  return std::nullopt;
}

// Run by systemd as a unit (it sets INVOCATION_ID for every unit's
// processes): the unit's sandbox applies.
bool under_unit() {
  const char* id = std::getenv("INVOCATION_ID");
  return id && *id;
}

// A command run by hand: warns about each path it uses that the service's
// unit would hide from the service (run by it, this configuration would not
// find them). `cluster`: the kubeconfig and the files it names too.
void warn_hidden_from_service(const aim::GlobalOptions& global, bool ipv6, bool cluster) {
  std::vector<std::pair<std::string, std::string>> used = {{"--input", global.input}};
  if (ipv6) used.emplace_back("--input6", global.input6);
  if (cluster) {
    if (auto cred = aim::resolve_credentials(global.kubeconfig); cred && !cred->server.empty()) {
      used.emplace_back("kubeconfig", cred->source);
      used.emplace_back("certificate-authority", cred->ca_file);
      used.emplace_back("client-certificate", cred->cert_file);
      used.emplace_back("client-key", cred->key_file);
      used.emplace_back("tokenFile", cred->token_file);
    }
  }
  // One line per hiding place, naming every path under it.
  for (const aim::HiddenPlace& place : aim::kServiceHiddenPlaces) {
    std::string list;
    for (const auto& [what, path] : used) {
      if (path.empty() || path.front() != '/') continue;  // in-cluster sources are not paths
      const auto hidden = aim::hidden_from_service(path);
      if (hidden && std::string_view(hidden->dir) == place.dir)
        list += (list.empty() ? "" : ", ") + what + " " + path;
    }
    if (!list.empty())
      std::cerr << kPrefix << "warning: " << aim::service_cannot_see_message(list, place) << '\n';
  }
}

// The unit's ExecCondition=. Only a missing node name (a fresh install) skips
// the service; options that cannot work in any other way exit 0 here, so the
// service starts, fails with exit status 78 and says why.
int run_exec_condition(const std::vector<std::string>& args) {
  Parsed p;
  try {
    p.parse_or_throw(args);
  } catch (const CLI::ParseError&) {
    return 0;
  }
  if (!p.cl.global.node_name.empty()) return 0;
  // The kubelet's credentials name the node. Only a host with none at all
  // is skipped: credentials still coming (the kubelet bootstrapping) or not
  // naming a node are for the service to report, failing or retrying.
  std::string origin;
  const auto failure = fill_node_name(p.cl.global, under_unit(), origin);
  if (!failure || failure->code != static_cast<int>(aim::NodeIdentityFailure::NoCredentials))
    return 0;
  aim::Logger log(0, aim::Logger::stderr_is_journal());
  log.warning(no_node_name_message(
      aim::Runtime::Unit,
      "Not started until then: skipped (ExecCondition=), not failed; after setting it, "
      "systemctl restart azure-iptables-monitor."));
  return 1;
}

// A command run by hand reads the service's environment file(s), so that it
// sees what the service sees: their options go first and the command line's
// (later, the last occurrence wins) override them. Returns the parse to run
// the command with, or an exit status.
std::variant<std::unique_ptr<Parsed>, int> configure_command(
    const Parsed& first, const std::vector<std::string>& command_line,
    std::string* description = nullptr) {
  std::optional<std::string> flag;
  if (first.cl.env_file_option->count() > 0) flag = first.cl.env_file;
  const aim::EnvFileChoice choice = aim::choose_env_files(flag, std::getenv("AIM_ENV_FILE"));
  auto config = aim::load_command_configuration(choice);
  if (!config) {
    std::cerr << kPrefix << "error: " << config.error() << '\n';
    return kExitConfig;
  }
  const aim::EnvFileConfiguration& from_files = config->from_files;
  aim::apply_environment(from_files);

  const std::vector<std::string> args = aim::merge_arguments(from_files.option_words, command_line);
  auto merged = std::make_unique<Parsed>();
  // The command line alone parsed, so a parse error now is in the file's
  // options.
  const std::string note = from_files.option_words.empty()
                               ? std::string()
                               : std::string("in the options from ") + from_files.options_origin +
                                     " (" + aim::kOptionsVariable + "):";
  if (auto code = merged->parse(args, note)) return *code;
  if (merged->cl.command() != nullptr && first.cl.command() != nullptr &&
      merged->cl.command()->get_name() != first.cl.command()->get_name()) {
    std::cerr << kPrefix << "error: " << from_files.options_origin << ": " << aim::kOptionsVariable
              << " names a command (" << merged->cl.command()->get_name()
              << "); it may hold options only\n";
    return kExitConfig;
  }
  if (merged->cl.global.verbosity >= 2) std::cerr << kPrefix << config->description << '\n';
  if (description) *description = config->description;
  return merged;
}

bool is_help_word(const std::string& word) { return word == "-h" || word == "--help"; }

// --help shows the values in force, not only the built-in defaults: a
// package's environment file sets --input, --ipv6 and more, and the commands
// (and the service, through its unit) run with them. So the options are
// read as the command would read them (the file's, then the command line's,
// without the help word), and the help of the command (or the program) is
// printed with each given option's value. Nothing when there is no help word
// before "--", or when that reading fails (the usual parse then prints the
// plain help, or says what is wrong).
std::optional<int> help_with_values_in_force(const std::vector<std::string>& command_line) {
  const auto end = std::find(command_line.begin(), command_line.end(), "--");
  if (std::find_if(command_line.begin(), end, is_help_word) == end) return std::nullopt;
  std::vector<std::string> bare;
  for (auto it = command_line.begin(); it != command_line.end(); ++it)
    if (it >= end || !is_help_word(*it)) bare.push_back(*it);
  Parsed first;
  try {
    first.parse_or_throw(bare);
  } catch (const CLI::ParseError&) {
    return std::nullopt;
  }
  std::string description;
  auto configured = configure_command(first, bare, &description);
  auto* merged = std::get_if<std::unique_ptr<Parsed>>(&configured);
  if (!merged) return std::nullopt;
  CLI::App& app = (*merged)->app;
  aim::show_values_in_force(app);
  // The parsed command's help, when one was given (CLI11 picks it).
  std::cout << app.help() << "Values after '=' are those in force here (" << description << ").\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Rule listings run to millions of bytes; C++ streams synced with stdio
  // would write them a character at a time.
  std::ios::sync_with_stdio(false);
  // The service runs its rendering children as this program again.
  if (argc >= 2 && std::string_view(argv[1]) == aim::kChildJobFlag)
    return aim::child_job_main({argv + 2, argv + argc});
  const std::vector<std::string> command_line = normalized({argv + 1, argv + argc});
  if (has_word(command_line, "--exec-condition")) return run_exec_condition(command_line);

  if (auto code = help_with_values_in_force(command_line)) return *code;
  auto first = std::make_unique<Parsed>();
  if (auto code = first->parse(command_line)) return *code;

  std::unique_ptr<Parsed> parsed;
  if (first->cl.command() == nullptr) {
    // The service: systemd has read the environment file (EnvironmentFile=)
    // and put the options on the command line; reading it again here would
    // only repeat them.
    if (first->cl.env_file_option->count() > 0) {
      aim::Logger(0, aim::Logger::stderr_is_journal())
          .error(
              "--env-file applies to the commands (rules, check, validate); the service's "
              "environment comes from its unit (EnvironmentFile=)",
              {{"EXIT_STATUS", std::to_string(kExitConfig)}});
      return kExitConfig;
    }
    parsed = std::move(first);
  } else {
    auto configured = configure_command(*first, command_line);
    if (auto* code = std::get_if<int>(&configured)) return *code;
    parsed = std::move(std::get<std::unique_ptr<Parsed>>(configured));
  }
  aim::CommandLine& cl = parsed->cl;

  const bool ipv6 = cl.global.ipv6 || cl.input6_option->count() > 0;
  if (cl.validate_command->parsed()) warn_hidden_from_service(cl.global, ipv6, false);
  if (cl.check_command->parsed() || cl.unlabel_command->parsed())
    warn_hidden_from_service(cl.global, cl.global.ipv6, true);

  // A command's node name: given, else the kubelet's identity.
  std::string node_origin;
  std::optional<aim::Error> no_node;
  if (cl.check_command->parsed() || cl.unlabel_command->parsed())
    no_node = fill_node_name(cl.global, false, node_origin);
  if (cl.unlabel_command->parsed()) {
    if (no_node && no_node->code == static_cast<int>(aim::NodeIdentityFailure::NoCredentials)) {
      // A host the service never ran on (package removal from an image,
      // an unconfigured install): nothing it could have labelled.
      std::cout << kPrefix << "no node name and no credentials on this host (" << no_node->message
                << "): the service cannot have labelled a node from here; nothing removed (if "
                << "it did, remove the label from a machine with access to the cluster: "
                << aim::kubectl_unlabel_command("") << ")\n";
      return 0;
    }
    if (no_node) {
      std::cerr << kPrefix << "error: could not remove the label: no node name: NODE_NAME is not "
                << "set and " << no_node->message << "; set NODE_NAME or --node-name. If the "
                << "service labelled this node, remove it from a machine with access to the "
                << "cluster: " << aim::kubectl_unlabel_command("") << '\n';
      return 2;
    }
    if (!aim::is_valid_node_name(cl.global.node_name)) {
      std::cerr << kPrefix << "error: " << aim::invalid_node_name_message(cl.global.node_name)
                << '\n';
      return kExitConfig;
    }
    const aim::ServiceRunning service_running = [] {
      return aim::systemd_unit_running(aim::kServiceUnit, std::chrono::seconds(2));
    };
    return aim::run_unlabel_command(cl.global, node_origin, service_running, std::cout, std::cerr);
  }

  if (cl.validate_command->parsed())
    return aim::run_validate_command(cl.global, cl.validate, ipv6, std::cout, std::cerr);

  // `validate` and `unlabel` have returned: what is left is a command that
  // reads once, or the service.
  const bool service = cl.command() == nullptr;
  // In this order: the native reader reads what the nft reader leaves it.
  std::vector<std::unique_ptr<aim::RuleReader>> owned;
  auto delegated = std::make_shared<aim::DelegatedTables>();
  if (cl.global.backend != aim::BackendChoice::Nft)
    owned.push_back(std::make_unique<aim::LegacyReader>());
  if (cl.global.backend != aim::BackendChoice::Legacy) {
    auto nft = std::make_unique<aim::NftReader>();
    if (cl.global.nftables) nft->delegate_incompatible_to(delegated);
    // The service reads again and again: its helpers stay, keeping what
    // they read. A command reads once.
    if (service) nft->keep_helpers_between_reads();
    owned.push_back(std::move(nft));
  }
  // `rules --backend legacy` prints that backend alone; every check reads
  // native tables unless --nftables=false.
  // `rules --backend nft` still shows, in nft syntax, what of iptables-nft's
  // tables iptables text cannot show whole.
  const bool native = cl.global.nftables && (!cl.rules_command->parsed() ||
                                             cl.global.backend != aim::BackendChoice::Legacy);
  if (native) {
    auto reader = std::make_unique<aim::NativeNftReader>(delegated);
    if (cl.rules_command->parsed() && cl.global.backend == aim::BackendChoice::Nft)
      reader->only_delegated();
    owned.push_back(std::move(reader));
  }
  // A command runs on one thread: its children are forked. The service has
  // threads beside its loop: its children are this program run again.
  std::vector<aim::RuleReader*> readers;
  for (auto& r : owned) {
    r->set_child_start(service ? aim::ChildStart::Spawn : aim::ChildStart::Fork);
    readers.push_back(r.get());
  }

  cl.rules.verbosity = cl.global.verbosity;
  cl.rules.skip_empty_backends = cl.global.backend == aim::BackendChoice::Auto;
  if (cl.rules_command->parsed())
    return aim::run_rules_command(cl.rules, readers, std::cout, std::cerr);
  if (cl.check_command->parsed()) {
    if (!cl.check.dry_run && cl.global.node_name.empty()) {
      std::cerr << "azure-iptables-monitor: error: no node name: NODE_NAME is not set and "
                << no_node->message
                << "; set --node-name or NODE_NAME (the CiliumNode to label), or use --dry-run "
                   "to only report\n";
      return kExitConfig;
    }
    if (!node_origin.empty() && cl.global.verbosity >= 2)
      std::cerr << kPrefix << "node " << cl.global.node_name << ", named by " << node_origin
                << '\n';
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
  node_origin.clear();
  cl.global.unit_sandbox = under_unit();
  const auto runtime = aim::runtime_from(std::getenv("AIM_RUNTIME"), std::getenv("INVOCATION_ID"));
  if (!runtime) {
    log.error(runtime.error(), {{"EXIT_STATUS", std::to_string(kExitConfig)}});
    return kExitConfig;
  }
  cl.global.runtime = *runtime;
  if (auto failure = fill_node_name(cl.global, cl.global.unit_sandbox, node_origin)) {
    using Failure = aim::NodeIdentityFailure;
    switch (static_cast<Failure>(failure->code)) {
      case Failure::NoCredentials:
        log.error(no_node_name_message(*runtime, aim::config_exit_note(*runtime)),
                  {{"EXIT_STATUS", std::to_string(kExitConfig)}});
        return kExitConfig;
      case Failure::NotYet:
        // The kubelet may still be bootstrapping: Restart=on-failure tries
        // again (RestartSec=).
        log.error(
            "no node name yet: NODE_NAME is not set and the kubelet's credentials are not "
            "there to name the node: " +
                failure->message +
                (*runtime == aim::Runtime::Pod
                     ? std::string(". Exit status 1: the kubelet restarts the container.")
                     : std::string(". Trying again after the unit's RestartSec=.")),
            {{"EXIT_STATUS", "1"}});
        return 1;
      case Failure::NotANode:
        break;
    }
    log.error("no node name: NODE_NAME is not set, and the credentials cannot name the node: " +
                  failure->message + "; " +
                  aim::node_name_hint(*runtime, aim::kLocalEnvironmentFile) + ". " +
                  aim::config_exit_note(*runtime),
              {{"EXIT_STATUS", std::to_string(kExitConfig)}});
    return kExitConfig;
  }
  if (!node_origin.empty())
    log.info(0, "node name " + cl.global.node_name + ": from " + node_origin +
                    " (NODE_NAME is not set)");
  if (!aim::is_valid_node_name(cl.global.node_name)) {
    log.error(aim::invalid_node_name_message(cl.global.node_name) + ". " +
                  aim::config_exit_note(*runtime),
              {{"EXIT_STATUS", std::to_string(kExitConfig)}});
    return kExitConfig;
  }
  // The service's part of the options, as parsed (defaults in one place).
  aim::Daemon daemon(static_cast<const aim::ServiceOptions&>(cl.global), readers, log);
  return daemon.run();
}
