#pragma once
// What a command-line parse error says, as the operator reads it.
#include <CLI/CLI.hpp>
#include <string>

namespace aim {

// CLI11's message for `e` (raised while `app` parsed), with one fix: CLI11
// 2.1 lists unexpected arguments last-first ("not expected: 60 --intreval"
// for `--intreval 60`); they are put back in command-line order. Any other
// message is CLI11's own.
std::string parse_error_message(const CLI::ParseError& e, const CLI::App& app);

}  // namespace aim
