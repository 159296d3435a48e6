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
// A long-lived helper's answer (nft/helper.h) begins with an answer record,
// before the snapshot record:
//   A<helper> <answer> <base>   the helper's id (random, per process), the
//          answer's number, and the number of the answer it is a delta
//          against (0: a full answer, every table whole)
// A delta answer holds, for each table that changed since its base, either
// the whole table (T ... D/E) or only its changed chains:
//   U<table>   the table's changed chains follow
//   P<index>   the next chain (C, H, R, N records) is at this place in the
//              table's chain list now (0-based)
//   X<chain>   the chain is gone
//   D<count>   the table's changes end; it now has this many chains
// A table the delta does not name is as it was in the base answer.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset.h"
#include "util/result.h"

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
  // A delta answer's records.
  void answer(uint64_t helper, uint64_t answer, uint64_t base);
  void begin_table_changes(std::string_view table);
  void chain_place(size_t place);
  void removed_chain(std::string_view chain);
  void end_table_changes(size_t chain_count);

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

struct StreamAnswer {
  uint64_t helper = 0;  // nonzero
  uint64_t answer = 0;  // nonzero
  uint64_t base = 0;    // 0: a full answer
};
// Takes the answer record off the front of `stream`, like the snapshot record.
std::optional<StreamAnswer> take_answer_record(std::string_view& stream);

// One table's changed chains (U ... D<count>), as parsed: `chains` in the
// order of `places`, strictly increasing.
struct TableChanges {
  std::string name;
  std::vector<size_t> places;
  std::vector<Chain> chains;
  std::vector<NativeRuleRequest> native_rules;  // of `chains` only
  std::vector<std::string> removed;
  size_t chain_count = 0;
};
// A delta answer's tables: whole ones (`whole.tables`, which owns the text
// of both) and changed chains.
struct StreamChanges {
  RuleSet whole;
  std::vector<TableChanges> changed;
};

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
// A delta answer's tables (after its answer and snapshot records). Any
// malformed record, or a table not ended, is an error: a delta is used
// whole or not at all (the caller then asks for a full answer).
Result<StreamChanges> parse_rule_changes(std::string_view stream, std::shared_ptr<const void> owner,
                                         Family family, Backend backend);

}  // namespace aim
