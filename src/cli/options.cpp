#include "cli/options.h"

#include <map>

#include "cli/go_flags.h"
#include "util/listen_address.h"
#include "util/text.h"
#include "version.h"

namespace aim {

const std::set<std::string>& go_style_flag_names() {
  static const std::set<std::string> names = {"v",
                                              "backend",
                                              "family",
                                              "format",
                                              "version",
                                              "input",
                                              "input6",
                                              "ipv6",
                                              "nftables",
                                              "dry-run",
                                              "output",
                                              "kubeconfig",
                                              "node-name",
                                              "events",
                                              "interval",
                                              "unknown-grace",
                                              "watch-ciliumnode",
                                              "watch-rules",
                                              "min-check-interval",
                                              "request-timeout",
                                              "terminateOnSuccess",
                                              "checkMap",
                                              "mapPath",
                                              "installRoutesForHealthProbeReply",
                                              "metrics-file",
                                              "env-file",
                                              "exec-condition"};
  return names;
}

std::vector<std::string> merge_arguments(const std::vector<std::string>& service_options,
                                         const std::vector<std::string>& command_line) {
  std::vector<std::string> args = normalize_go_flags(service_options, go_style_flag_names());
  const std::vector<std::string> own = normalize_go_flags(command_line, go_style_flag_names());
  args.insert(args.end(), own.begin(), own.end());
  return args;
}

namespace {

// CLI::Range, but its message says "1 s to 86400 s", not "1.000000 to
// 86400.000000".
CLI::Validator seconds_between(double low, double high) {
  const std::string range = format_seconds(low) + " to " + format_seconds(high);
  return CLI::Validator(
      [low, high, range](std::string& value) {
        double v = 0;
        if (!CLI::detail::lexical_cast(value, v)) return "not a number of seconds: " + value;
        if (!(v >= low && v <= high)) return value + " is outside " + range;
        return std::string();
      },
      "FLOAT in [" + range + "]");
}

}  // namespace

const std::vector<std::string>& program_options_of(const std::string& command) {
  static const std::map<std::string, std::vector<std::string>> used = {
      {"rules", {"-v", "--backend", "--nftables", "--env-file"}},
      {"check",
       {"-v", "--backend", "--input", "--input6", "--ipv6", "--nftables", "--kubeconfig",
        "--node-name", "--events", "--request-timeout", "--env-file"}},
      {"validate", {"-v", "--input", "--input6", "--ipv6", "--env-file"}},
      {"unlabel", {"-v", "--kubeconfig", "--node-name", "--request-timeout", "--env-file"}},
  };
  static const std::vector<std::string> none;
  const auto it = used.find(command);
  return it == used.end() ? none : it->second;
}

namespace {

// The end of a command's --help: the program's options it uses, each with
// the value it would run with (a switch without one is off).
void list_program_options(const CLI::App& app, CLI::App& command) {
  std::string lines;
  for (const std::string& name : program_options_of(command.get_name())) {
    const CLI::Option* opt = app.get_option(name);
    const std::string value = opt->get_default_str();
    lines += "  " + opt->get_name(false, true) + (value.empty() ? "" : "=" + value) + "\n";
  }
  command.footer("Options of the program it uses too (before or after \"" + command.get_name() +
                 "\"; described in azure-iptables-monitor --help):\n" + lines);
}

}  // namespace

void show_values_in_force(CLI::App& app) {
  std::vector<CLI::App*> apps{&app};
  for (CLI::App* sub : app.get_subcommands({})) apps.push_back(sub);
  for (CLI::App* a : apps)
    for (CLI::Option* opt : a->get_options()) {
      // The last occurrence is the one in force (TakeLast).
      if (opt->count() == 0 || opt->results().empty()) continue;
      std::string value = opt->results().back();
      // A switch given bare stores no text of its own.
      if (opt->get_type_size() == 0 && (value.empty() || value == "1")) value = "true";
      if (value == "-1" && opt->get_type_size() == 0) value = "false";
      opt->default_str(value);
    }
  for (CLI::App* sub : app.get_subcommands({})) list_program_options(app, *sub);
}

const CLI::App* CommandLine::command() const {
  for (const CLI::App* c : {rules_command, check_command, validate_command, unlabel_command})
    if (c && c->parsed()) return c;
  return nullptr;
}

std::vector<Family> families_from(const std::string& choice) {
  if (choice == "6") return {Family::V6};
  if (choice == "all") return {Family::V4, Family::V6};
  return {Family::V4};
}

void register_options(CLI::App& app, CommandLine& cl) {
  app.description(
      "Reports whether a Kubernetes node has iptables rules that are not on the allowlist.");
  app.set_version_flag("--version", AIM_VERSION);
  app.option_defaults()->always_capture_default();
  // The last occurrence wins, so a command line can override the options an
  // environment file put first.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Global flags may also be given after the command name.
  app.fallthrough();

  app.add_option("-v,--v", cl.global.verbosity,
                 "Log verbosity: 0 changes and errors, 2 per-check summaries, 4 every rule")
      ->check(CLI::Range(0, 10));
  app.add_option_function<std::string>(
         "--backend",
         [&cl](const std::string& v) {
           cl.global.backend = v == "legacy" ? BackendChoice::Legacy
                               : v == "nft"  ? BackendChoice::Nft
                                             : BackendChoice::Auto;
         },
         "iptables backend(s) to read: auto (every backend that has tables), legacy, nft")
      ->check(CLI::IsMember({"auto", "legacy", "nft"}))
      ->default_str("auto");
  app.add_option("--input", cl.global.input, "IPv4 allowlist directory");
  cl.input6_option = app.add_option("--input6", cl.global.input6, "IPv6 allowlist directory");
  app.add_flag("--ipv6", cl.global.ipv6, "Also check ip6tables (with the --input6 allowlists)");
  app.add_flag("--nftables,!--no-nftables", cl.global.nftables,
               "Also check native nftables tables (every table no iptables tool shows, any "
               "family) against the `nftables` file of --input; --nftables=false is upstream's "
               "behaviour, blind to them")
      ->default_str("true");
  app.add_option("--kubeconfig", cl.global.kubeconfig,
                 "Kubeconfig for the API server (default: $KUBECONFIG, then the kubelet's "
                 "/var/lib/kubelet/kubeconfig or /etc/kubernetes/kubelet.conf, then in-cluster)");
  app.add_option("--node-name", cl.global.node_name,
                 "Node whose CiliumNode is labelled (default: $NODE_NAME, else the node the "
                 "kubelet's client certificate names: CN=system:node:NAME)")
      ->envname("NODE_NAME");
  app.add_flag("--events", cl.global.events,
               "Create/update Warning Events on the Node when unexpected rules are found");
  app.add_option("--interval", cl.global.interval_seconds,
                 "Service: seconds between checks (at least 1; fractions allowed)")
      ->check(seconds_between(1.0, 86400.0));
  app.add_option("--unknown-grace", cl.global.unknown_grace_seconds,
                 "Service: when rules stay unreadable (verdict unknown) for this many seconds and "
                 "at least two checks, label \"true\", the safe value (never \"false\")")
      ->check(seconds_between(0.0, 86400.0));
  app.add_flag("--watch-ciliumnode,!--no-watch-ciliumnode", cl.global.watch_ciliumnode,
               "Service: watch the node's CiliumNode (list+watch, needs get/list/watch on "
               "ciliumnodes) and set the label whenever it differs from the verdict, writing "
               "nothing while it is right; without the watch (or its grant) the label is sent "
               "after every check")
      ->default_str("true");
  app.add_flag("--watch-rules,!--no-watch-rules", cl.global.watch_rules,
               "Service: check soon after rules change (nf_tables announces changes; the sizes "
               "of iptables-legacy tables are polled 4 times a second); without it, changes are "
               "seen at the next --interval")
      ->default_str("true");
  app.add_option("--min-check-interval", cl.global.min_check_interval_seconds,
                 "Service: a ceiling on how often rule changes start checks: at least this many "
                 "seconds apart; 0 (the default): no ceiling. Checks for changes are always "
                 "spaced by their cost, at least 25 times the last check's CPU time (helpers "
                 "included, so they take at most 4% of a core) and at least 0.25 s")
      ->check(seconds_between(0.0, 3600.0));
  app.add_flag("--terminateOnSuccess", cl.global.terminate_on_success,
               "Service: exit 0 after a clean check whose \"false\" label was set (never after an "
               "unknown verdict)");
  app.add_flag("--checkMap", cl.global.check_map,
               "Service: read the blocked-iptables-rule counter (key 0) of the pinned BPF map at "
               "--mapPath each check; with --events, a Warning Event BlockedIPTablesRule when it "
               "grew (needs the bpf() system call, which the unit allows with the drop-in "
               "check-map.conf, and read permission on the pinned file; no capability on Linux "
               ">= 5.19, CAP_BPF before)");
  app.add_option("--mapPath", cl.global.map_path,
                 "Pinned BPF map of --checkMap (on the host usually "
                 "/sys/fs/bpf/azure-block-iptables/iptables_block_event_counter)");
  app.add_flag("--installRoutesForHealthProbeReply", cl.global.install_routes,
               "Service: keep routes for 169.254.7.127/32 (and, with --ipv6, "
               "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128) to lo, re-ensured every check");
  app.add_option("--metrics-file", cl.global.metrics_file,
                 "Service: write Prometheus metrics to this file after each check, request and "
                 "watch event (for "
                 "node-exporter's textfile collector: a *.prom file in its directory), replaced "
                 "atomically; empty: none");
  app.add_option("--listen", cl.global.listen,
                 "Service: serve /metrics (the --metrics-file text) and /healthz (200 while the "
                 "event loop turns and checks finish within their bounds, else 503 and why) over "
                 "HTTP at ADDRESS:PORT (numeric: 127.0.0.1:9871, [::1]:9871); empty: no server")
      ->check([](const std::string& v) {
        if (v.empty()) return std::string();
        auto parsed = parse_listen_address(v);
        return parsed ? std::string() : parsed.error();
      });
  app.add_option("--request-timeout", cl.global.request_timeout_seconds,
                 "Timeout of one API request, in seconds")
      ->check(seconds_between(0.1, 300.0));
  cl.env_file_option =
      app.add_option(
             "--env-file", cl.env_file,
             "Commands: take the service's options (AZURE_IPTABLES_MONITOR_OPTS, before "
             "the command line's), NODE_NAME and KUBECONFIG from this file; \"none\" reads "
             "none (default: $AIM_ENV_FILE, else the unit's "
             "/etc/default/azure-iptables-monitor, /etc/sysconfig/azure-iptables-monitor and "
             "/etc/azure-iptables-monitor/environment, the last winning)")
          ->check([](const std::string& v) {
            return v.empty() ? std::string("a path, or none") : std::string();
          });
  app.add_flag(
      "--exec-condition", cl.exec_condition,
      "For the unit's ExecCondition=: exit 0 if a node name is configured or the kubelet's "
      "credentials can name the node, else 1 saying so (systemd then skips the service "
      "instead of failing it)");

  cl.rules_command = app.add_subcommand(
      "rules", "Print the rules exactly as they are matched (iptables -S text per table)");
  cl.rules_command->add_option("--family", cl.rules.family, "Address family: 4, 6 or all")
      ->check(CLI::IsMember({"4", "6", "all"}));
  cl.rules_command
      ->add_option_function<std::string>(
          "--format",
          [&cl](const std::string& v) {
            cl.rules.format = v == "save"   ? RulesFormat::Save
                              : v == "json" ? RulesFormat::Json
                                            : RulesFormat::Tsv;
          },
          "tsv (TABLE<TAB>LINE), save (iptables-save text) or json")
      ->check(CLI::IsMember({"tsv", "save", "json"}))
      ->default_str("tsv");

  cl.check_command = app.add_subcommand(
      "check", "Run one check and report it. Exit 0 clean, 1 unexpected rules, 2 unknown or error");
  cl.check_command->add_flag("--dry-run", cl.check.dry_run,
                             "Send nothing to the cluster; print the requests it would send");
  cl.check_command
      ->add_option_function<std::string>(
          "--output",
          [&cl](const std::string& v) {
            cl.check.output = v == "json" ? ReportFormat::Json : ReportFormat::Text;
          },
          "Report format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");

  cl.validate_command = app.add_subcommand(
      "validate",
      "Check the allowlist files (IPv4 always; IPv6 with --ipv6 or --input6). Exit 1 on any "
      "problem; patterns that text in a comment can satisfy, and lines starting with '#' "
      "(patterns, "
      "not comments), are warned about, failing only with --strict");
  cl.validate_command->add_flag(
      "--strict", cl.validate.strict,
      "Also exit 1 when a pattern can be satisfied by text in a comment or log prefix, or a line "
      "starts with '#'");

  cl.unlabel_command = app.add_subcommand(
      "unlabel",
      "Remove the label from the node's CiliumNode with the node's own credentials (stop the "
      "service first: it would set it again; while its unit is active nothing is sent). Exit 0 "
      "removed, no such CiliumNode, or no credentials on this host at all; 2 could not (the "
      "kubectl command that would is printed), or the service runs");

  for (CLI::App* command :
       {cl.rules_command, cl.check_command, cl.validate_command, cl.unlabel_command})
    list_program_options(app, *command);
}

}  // namespace aim
