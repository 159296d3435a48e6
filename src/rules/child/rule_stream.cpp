#include "rules/child/rule_stream.h"

#include <algorithm>

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

namespace {

struct OpenTable {
  Table table;
  bool ended = false;
};

}  // namespace

RuleSet parse_rule_stream(std::string stream, Family family, Backend backend,
                          const std::vector<std::string>& expected_tables,
                          std::string_view child_failure) {
  auto owned = std::make_shared<const std::string>(std::move(stream));
  const std::string_view text = *owned;
  return parse_rule_stream(text, std::move(owned), family, backend, expected_tables, child_failure);
}

RuleSet parse_rule_stream(std::string_view text, std::shared_ptr<const void> owner, Family family,
                          Backend backend, const std::vector<std::string>& expected_tables,
                          std::string_view child_failure) {
  RuleSet set;
  set.family = family;
  set.backend = backend;
  set.arena->keep_alive(std::move(owner));

  std::vector<OpenTable> seen;
  OpenTable* current = nullptr;
  std::string framing_error;

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

    if (type == 'T') {
      current = &seen.emplace_back();
      current->table.name = std::string(payload);
      continue;
    }
    if (!current || current->ended) {
      framing_error = "record outside a table";
      break;
    }
    Table& table = current->table;
    switch (type) {
      case 'C':
        table.chains.push_back(Chain{payload, {}, {}});
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
      case 'E':
        // The child's own account of the failure is the one to show.
        table.error = std::string(payload);
        current->ended = true;
        break;
      case 'D':
        current->ended = true;
        break;
      default:
        fail_current("unknown record type");
        break;
    }
  }

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
