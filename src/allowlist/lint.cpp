#include "allowlist/lint.h"

#include <vector>

#include "allowlist/pattern_witness.h"

namespace aim {
namespace {

// A chain and target no pattern is written for: a probe rule matching a
// pattern matches it through the text placed in the probe, nothing else.
constexpr std::string_view kProbeChain = "AIM-PROBE";

// A string option as iptables prints it (xtables_save_string): bare when it
// is made of letters, digits, '-' and '_' only, else double-quoted with '"',
// '\' and '\'' escaped by a backslash.
std::string iptables_string(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      bare = false;
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Probe {
  std::string_view place;  // where the text stands, for the message
  std::string rule;
};

// Rules whose only free text is `text`, in each place a user writes free
// text, within the lengths the kernel accepts there (comment 255 bytes, LOG
// prefix 29, NFLOG prefix 63). A comment is tried between matches and the
// target and as the last thing on the line (a rule without a target).
std::vector<Probe> probes_for(std::string_view text) {
  std::vector<Probe> out;
  if (text.find('\n') != std::string_view::npos) return out;
  const std::string chain(kProbeChain);
  const std::string quoted = iptables_string(text);
  if (text.size() <= 255) {
    out.push_back(
        {"a comment", "-A " + chain + " -m comment --comment " + quoted + " -j " + chain});
    out.push_back({"a comment", "-A " + chain + " -m comment --comment " + quoted});
  }
  if (text.size() <= 29)
    out.push_back({"a LOG prefix", "-A " + chain + " -j LOG --log-prefix " + quoted});
  if (text.size() <= 63)
    out.push_back({"an NFLOG prefix", "-A " + chain + " -j NFLOG --nflog-prefix " + quoted});
  return out;
}

}  // namespace

std::optional<std::string> never_matching_reason(std::string_view pattern) {
  for (std::string_view proto : {"tcp", "udp", "sctp", "dccp"}) {
    for (std::string_view opt : {"--dport", "--sport", "--dports", "--sports"}) {
      const std::string written = "-p " + std::string(proto) + " " + std::string(opt);
      if (pattern.find(written) != std::string_view::npos)
        return "iptables -S always prints a match between the protocol and the port option "
               "(e.g. '-p " +
               std::string(proto) + " -m " + std::string(proto) + " --dport'), never '" + written +
               "': this pattern can never match";
    }
  }
  return std::nullopt;
}

std::optional<std::string> comment_lookalike_reason(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '#') return std::nullopt;
  return "this line starts with '#' but is a pattern, not a comment: allowlist files have no "
         "comments (as upstream's), so it allows every rule whose text contains a match for "
         "it, such as a rule with --comment \"" +
         std::string(pattern.substr(0, 40)) +
         "\"; delete the line if it is a note (keep notes outside the allowlist directory), or "
         "write the pattern without the leading '#' if that is not what you meant";
}

std::optional<std::string> free_text_satisfiable_reason(const Pattern& pattern) {
  const std::string advice =
      ": anchor it to the rule it is for, its chain at the start and its target at the end "
      "(`^-A CHAIN ... -j TARGET$`), with comment text only between them";
  // A neutral text first: a pattern that allows the probe rules whatever
  // they carry allows rules of every chain.
  for (const Probe& probe : probes_for("x"))
    if (pattern.search(probe.rule) == MatchResult::Match)
      return "this pattern allows rules of any chain and target, e.g. `" + probe.rule + "`" +
             advice;
  for (const std::string& witness : pattern_witnesses(pattern.text()))
    for (const Probe& probe : probes_for(witness))
      if (pattern.search(probe.rule) == MatchResult::Match)
        return "text inside " + std::string(probe.place) +
               " can satisfy this pattern: it allows `" + probe.rule +
               "`, a rule of a chain and target it does not name" + advice;
  return std::nullopt;
}

}  // namespace aim
