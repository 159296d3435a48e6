#include "cli/options.h"

#include <map>

#include "version.h"

namespace aim {

const std::set<std::string>& go_style_flag_names() {
  static const std::set<std::string> names = {"v", "backend", "family", "format", "version"};
  return names;
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

  app.add_option("-v,--v", cl.global.verbosity, "Log verbosity (0 = changes and errors)")
      ->check(CLI::Range(0, 10));

  static const std::map<std::string, BackendChoice> backends = {
      {"auto", BackendChoice::Auto}, {"legacy", BackendChoice::Legacy}, {"nft", BackendChoice::Nft}};
  app.add_option("--backend", cl.global.backend,
                 "iptables backend(s) to read: auto (every backend that has tables), legacy, nft")
      ->transform(CLI::CheckedTransformer(backends, CLI::ignore_case))
      ->default_str("auto");

  cl.rules_command = app.add_subcommand(
      "rules", "Print the rules exactly as they are matched (iptables -S text per table)");
  cl.rules_command->add_option("--family", cl.rules.family, "Address family: 4, 6 or all")
      ->check(CLI::IsMember({"4", "6", "all"}));
  static const std::map<std::string, RulesFormat> formats = {
      {"tsv", RulesFormat::Tsv}, {"save", RulesFormat::Save}, {"json", RulesFormat::Json}};
  cl.rules_command
      ->add_option("--format", cl.rules.format,
                   "tsv (TABLE<TAB>LINE), save (iptables-save text) or json")
      ->transform(CLI::CheckedTransformer(formats))
      ->default_str("tsv");
  // --backend is accepted after the subcommand name too.
  cl.rules_command->add_option("--backend", cl.global.backend, "Same as the global --backend")
      ->transform(CLI::CheckedTransformer(backends, CLI::ignore_case))
      ->default_str("auto");
}

}  // namespace aim
