#pragma once
// Every flag, its default and its meaning, in one place. main.cpp binds these
// to CLI11; the commands only read them.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rules/print.h"
#include "rules/ruleset.h"

namespace aim {

enum class BackendChoice { Auto, Legacy, Nft };

struct GlobalOptions {
  int verbosity = 0;
  BackendChoice backend = BackendChoice::Auto;
};

struct RulesOptions {
  std::string family = "4";  // "4", "6" or "all"
  RulesFormat format = RulesFormat::Tsv;
  int verbosity = 0;  // copied from the global -v
};

struct CommandLine {
  GlobalOptions global;
  RulesOptions rules;
  CLI::App* rules_command = nullptr;
};

// Registers the flags and subcommands on `app`, writing into `cl`.
void register_options(CLI::App& app, CommandLine& cl);

std::vector<Family> families_from(const std::string& choice);

// Long flag names for normalize_go_flags.
const std::set<std::string>& go_style_flag_names();

}  // namespace aim
