#pragma once
// The framing a rendering child uses to hand a family's rules to its parent.
//
// The child's C stdout carries both our text and the text libxtables'
// extension save() functions print, so the records are framed in that one
// stream. Each record is a type byte, a payload and a NUL. Rule text comes
// from C strings and can never contain NUL, so no rule can forge a record:
//   T<table>   a table begins          C<chain>  a chain begins
//   H<line>    the chain's -P/-N line   R<line>   one -A line (trailing \n dropped)
//   N<handle> <reason>  a rule of the chain whose iptables text would not be
//              the whole rule (nft/expected.h): the native reader shows it
//   E<message> the table could not be read completely
//   D          the table was read completely
// A stream may begin with one snapshot record, before any table:
//   S<generation> <repaired> <table> <table>...   the nf_tables generation
//          the rules were read at, how many chains were read again after
//          commits during the read, and the tables read
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

class RuleStreamWriter {
 public:
  explicit RuleStreamWriter(FILE* out) : out_(out) {}
  void snapshot(uint32_t generation, size_t repaired_chains,
                const std::vector<std::string>& tables);
  void begin_table(std::string_view table);
  void begin_chain(std::string_view chain, std::string_view header_line);
  // A rule is written in pieces (ours and the extensions'); begin opens the
  // record, end closes it.
  void begin_rule();
  void end_rule();
  void native_rule(uint64_t handle, std::string_view reason);
  void table_error(std::string_view message);
  void end_table();

 private:
  void record(char type, std::string_view payload);
  FILE* out_;
};

struct StreamSnapshot {
  uint32_t generation = 0;
  size_t repaired_chains = 0;
  std::vector<std::string> tables;  // iptables tables (kTableOrder names) only
};
// Takes the snapshot record off the front of `stream`; nullopt (and `stream`
// untouched) when there is none or it is malformed.
std::optional<StreamSnapshot> take_snapshot_record(std::string_view& stream);

// Builds the RuleSet from a child's stream. `expected_tables` are the tables
// the child was asked for; any of them not ended by D or E gets an error that
// includes `child_failure` (what the parent knows of how the child ended).
// Malformed framing marks the affected table (or the set) as failed, never
// as read.
// `owner` keeps the memory behind `stream` alive for the RuleSet's lifetime.
RuleSet parse_rule_stream(std::string_view stream, std::shared_ptr<const void> owner, Family family,
                          Backend backend, const std::vector<std::string>& expected_tables,
                          std::string_view child_failure);
// Same, taking ownership of the text.
RuleSet parse_rule_stream(std::string stream, Family family, Backend backend,
                          const std::vector<std::string>& expected_tables,
                          std::string_view child_failure);

}  // namespace aim
