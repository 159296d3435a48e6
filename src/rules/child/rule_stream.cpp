#include "rules/child/rule_stream.h"

#include <algorithm>
#include <utility>

namespace aim {

void RuleStreamWriter::record(char type, std::string_view payload) {
  std::fputc(type, out_);
  if (!payload.empty()) std::fwrite(payload.data(), 1, payload.size(), out_);
  std::fputc('\0', out_);
}

void RuleStreamWriter::snapshot(uint32_t generation, size_t repaired_chains,
                                const std::vector<std::string>& tables) {
  std::string payload = std::to_string(generation) + " " + std::to_string(repaired_chains);
  for (const std::string& t : tables) payload += " " + t;
  record('S', payload);
}

void RuleStreamWriter::begin_table(std::string_view table) { record('T', table); }

void RuleStreamWriter::begin_chain(std::string_view chain, std::string_view header_line) {
  record('C', chain);
  record('H', header_line);
}

void RuleStreamWriter::begin_rule() { std::fputc('R', out_); }
void RuleStreamWriter::end_rule() { std::fputc('\0', out_); }
void RuleStreamWriter::native_rule(uint64_t handle, std::string_view reason) {
  record('N', std::to_string(handle) + " " + std::string(reason));
}
void RuleStreamWriter::table_error(std::string_view message) { record('E', message); }
void RuleStreamWriter::end_table() { record('D', {}); }
void RuleStreamWriter::answer(uint64_t helper, uint64_t answer, uint64_t base) {
  record('A', std::to_string(helper) + " " + std::to_string(answer) + " " + std::to_string(base));
}
void RuleStreamWriter::begin_table_changes(std::string_view table) { record('U', table); }
void RuleStreamWriter::chain_place(size_t place) { record('P', std::to_string(place)); }
void RuleStreamWriter::removed_chain(std::string_view chain) { record('X', chain); }
void RuleStreamWriter::end_table_changes(size_t chain_count) {
  record('D', std::to_string(chain_count));
}

namespace {

// A decimal number of at most `max` at the front of `text`, taken off it.
std::optional<uint64_t> take_number(std::string_view& text, uint64_t max) {
  size_t digits = 0;
  uint64_t value = 0;
  while (digits < text.size() && digits < 19 && text[digits] >= '0' && text[digits] <= '9')
    value = value * 10 + static_cast<uint64_t>(text[digits++] - '0');
  if (digits == 0 || value > max) return std::nullopt;
  text.remove_prefix(digits);
  return value;
}

}  // namespace

std::optional<StreamSnapshot> take_snapshot_record(std::string_view& stream) {
  const size_t end = stream.find('\0');
  if (stream.empty() || stream[0] != 'S' || end == std::string_view::npos) return std::nullopt;
  std::string_view payload = stream.substr(1, end - 1);
  StreamSnapshot snapshot;
  const auto generation = take_number(payload, UINT32_MAX);
  if (!generation || payload.empty() || payload[0] != ' ') return std::nullopt;
  payload.remove_prefix(1);
  const auto repaired = take_number(payload, SIZE_MAX / 2);
  if (!repaired) return std::nullopt;
  snapshot.generation = static_cast<uint32_t>(*generation);
  snapshot.repaired_chains = static_cast<size_t>(*repaired);
  while (!payload.empty()) {
    if (payload[0] != ' ') return std::nullopt;
    payload.remove_prefix(1);
    const std::string_view name = payload.substr(0, payload.find(' '));
    if (!table_rank(name)) return std::nullopt;
    snapshot.tables.emplace_back(name);
    payload.remove_prefix(name.size());
  }
  stream.remove_prefix(end + 1);
  return snapshot;
}

std::optional<StreamAnswer> take_answer_record(std::string_view& stream) {
  const size_t end = stream.find('\0');
  if (stream.empty() || stream[0] != 'A' || end == std::string_view::npos) return std::nullopt;
  std::string_view payload = stream.substr(1, end - 1);
  StreamAnswer answer;
  uint64_t* fields[] = {&answer.helper, &answer.answer, &answer.base};
  for (size_t i = 0; i < 3; ++i) {
    if (i > 0) {
      if (payload.empty() || payload[0] != ' ') return std::nullopt;
      payload.remove_prefix(1);
    }
    const auto value = take_number(payload, UINT64_MAX / 10);
    if (!value) return std::nullopt;
    *fields[i] = *value;
  }
  if (!payload.empty() || answer.helper == 0 || answer.answer == 0 || answer.base >= answer.answer)
    return std::nullopt;
  stream.remove_prefix(end + 1);
  return answer;
}

namespace {

struct OpenTable {
  Table table;
  bool ended = false;
  // A U table (changed chains only): where each chain goes, what went.
  bool changes = false;
  std::optional<size_t> next_place;  // a P record waiting for its chain
  std::vector<size_t> places;
  std::vector<std::string> removed;
  size_t chain_count = 0;
};

// The records of a stream (after its answer and snapshot records) into
// tables; U tables only when `changes_allowed`. Malformed framing of a table
// is its error; framing outside any table is `framing_error`.
struct StreamParse {
  std::vector<OpenTable> seen;
  std::string framing_error;
};

StreamParse parse_records(std::string_view text, bool changes_allowed) {
  StreamParse out;
  std::vector<OpenTable>& seen = out.seen;
  OpenTable* current = nullptr;

  auto fail_current = [&](const std::string& why) {
    if (current && current->table.error.empty()) current->table.error = why;
  };

  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\0', pos);
    if (end == std::string_view::npos) {
      // A record cut off: the child died while writing it.
      fail_current("output ended in the middle of a record");
      break;
    }
    const char type = text[pos];
    std::string_view payload = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;

    if (type == 'T' || (type == 'U' && changes_allowed)) {
      current = &seen.emplace_back();
      current->table.name = std::string(payload);
      current->changes = type == 'U';
      continue;
    }
    if (!current || current->ended) {
      out.framing_error = "record outside a table";
      break;
    }
    Table& table = current->table;
    // In a U table every chain is placed (P) right before it begins (C).
    if (current->changes && current->next_place && type != 'C') {
      fail_current("a chain's place without the chain");
      current->next_place.reset();
    }
    switch (type) {
      case 'C':
        if (current->changes) {
          if (!current->next_place) {
            fail_current("a changed chain without its place");
            break;
          }
          current->places.push_back(*std::exchange(current->next_place, std::nullopt));
        }
        table.chains.push_back(Chain{payload, {}, {}, next_chain_id()});
        break;
      case 'H':
        if (table.chains.empty()) {
          fail_current("chain header before any chain");
          break;
        }
        table.chains.back().header = payload;
        break;
      case 'R': {
        if (!payload.empty() && payload.back() == '\n') payload.remove_suffix(1);
        if (table.chains.empty()) {
          fail_current("rule before any chain");
          break;
        }
        Chain& chain = table.chains.back();
        // Every rule line starts "-A CHAIN"; anything else means the text
        // was not what iptables -S prints, and must not be matched as if it were.
        const bool well_formed = payload.size() >= 3 + chain.name.size() &&
                                 payload.substr(0, 3) == "-A " &&
                                 payload.substr(3, chain.name.size()) == chain.name;
        if (!well_formed) {
          fail_current("malformed rule text in chain " + std::string(chain.name));
          break;
        }
        chain.rules.push_back(payload);
        break;
      }
      case 'N': {
        if (table.chains.empty()) {
          fail_current("native rule before any chain");
          break;
        }
        const auto handle = take_number(payload, UINT64_MAX / 10);
        if (!handle || *handle == 0 || payload.empty() || payload[0] != ' ') {
          fail_current("malformed native rule record in chain " +
                       std::string(table.chains.back().name));
          break;
        }
        table.native_rules.push_back(
            {std::string(table.chains.back().name), *handle, std::string(payload.substr(1))});
        break;
      }
      case 'P': {
        const auto place = take_number(payload, SIZE_MAX / 2);
        if (!current->changes || !place || !payload.empty() ||
            (!current->places.empty() && *place <= current->places.back())) {
          fail_current("malformed chain place");
          break;
        }
        current->next_place = *place;
        break;
      }
      case 'X':
        if (!current->changes || payload.empty()) {
          fail_current("malformed removed chain");
          break;
        }
        current->removed.emplace_back(payload);
        break;
      case 'E':
        // The child's own account of the failure is the one to show.
        table.error = std::string(payload);
        current->ended = true;
        break;
      case 'D':
        if (current->changes) {
          const auto count = take_number(payload, SIZE_MAX / 2);
          if (!count || !payload.empty()) {
            fail_current("malformed end of a table's changes");
          } else {
            current->chain_count = *count;
          }
        }
        current->ended = true;
        break;
      default:
        fail_current("unknown record type");
        break;
    }
  }
  return out;
}

}  // namespace

RuleSet parse_rule_stream(std::string stream, Family family, Backend backend,
                          const std::vector<std::string>& expected_tables,
                          std::string_view child_failure) {
  auto owned = std::make_shared<const std::string>(std::move(stream));
  const std::string_view text = *owned;
  return parse_rule_stream(text, std::move(owned), family, backend, expected_tables, child_failure);
}

Result<StreamChanges> parse_rule_changes(std::string_view text, std::shared_ptr<const void> owner,
                                         Family family, Backend backend) {
  StreamParse parsed = parse_records(text, true);
  if (!parsed.framing_error.empty()) return Error{"malformed rule stream: " + parsed.framing_error};
  StreamChanges out;
  out.whole.family = family;
  out.whole.backend = backend;
  out.whole.arena->keep_alive(std::move(owner));
  for (OpenTable& t : parsed.seen) {
    if (!t.ended)
      return Error{"the changes of table " + t.table.name + " stop before the table ends"};
    if (!t.changes) {
      // The helper's own account (E) stands; never partial content.
      if (!t.table.error.empty()) {
        t.table.chains.clear();
        t.table.native_rules.clear();
      }
      out.whole.tables.push_back(std::move(t.table));
      continue;
    }
    if (!t.table.error.empty())
      return Error{"the changes of table " + t.table.name + ": " + t.table.error};
    if (t.next_place) return Error{"the changes of table " + t.table.name + " end with a place"};
    out.changed.push_back({std::move(t.table.name), std::move(t.places), std::move(t.table.chains),
                           std::move(t.table.native_rules), std::move(t.removed), t.chain_count});
  }
  return out;
}

RuleSet parse_rule_stream(std::string_view text, std::shared_ptr<const void> owner, Family family,
                          Backend backend, const std::vector<std::string>& expected_tables,
                          std::string_view child_failure) {
  RuleSet set;
  set.family = family;
  set.backend = backend;
  set.arena->keep_alive(std::move(owner));
  StreamParse parsed = parse_records(text, false);
  std::vector<OpenTable>& seen = parsed.seen;
  const std::string& framing_error = parsed.framing_error;

  for (const std::string& name : expected_tables) {
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const OpenTable& t) { return t.table.name == name; });
    Table table;
    if (it == seen.end()) {
      table.name = name;
      table.error = "table was not read";
    } else {
      table = std::move(it->table);
      if (!it->ended && table.error.empty()) table.error = "reading stopped before the table ended";
    }
    if (!table.error.empty()) {
      if (!child_failure.empty()) table.error += " (" + std::string(child_failure) + ")";
      table.chains.clear();  // never present a partial table as content
      table.native_rules.clear();
    }
    set.tables.push_back(std::move(table));
  }
  if (!framing_error.empty()) set.error = "malformed rule stream: " + framing_error;
  return set;
}

}  // namespace aim
