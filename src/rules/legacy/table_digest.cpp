#include "rules/legacy/table_digest.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "rules/changes/xt_layout.h"

namespace aim {
namespace {

// Tags that keep one field from being read as another.
enum Tag : uint32_t { kChain = 1, kPolicy = 2, kRule = 3, kObject = 4, kRest = 5, kEnd = 6 };

uint16_t u16_at(const unsigned char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One rule's entry: its header without the counters, then each match and
// the target: its size, its name up to the NUL (the kernel leaves the rest
// of the name field unwritten, and libiptc's buffer is not zeroed, so those
// bytes differ between two copies of the same rule), its revision and data.
// A jump's verdict (an offset in the table) is left out: `target`, the
// chain libiptc resolved it to, stands for it.
void add_rule(XtDigester& d, const unsigned char* e, const aim_xt_entry_layout& l,
              const char* target) {
  const uint16_t size = u16_at(e + l.next_offset_at);
  const uint16_t target_offset = u16_at(e + l.target_offset_at);
  d.add_u32(kRule);
  d.add_u32(size);
  const size_t counters_end = l.counters_at + l.counters_size;
  d.add(e, l.counters_at);
  d.add(e + counters_end, l.header_size - counters_end);
  // libiptc checked the sizes when it parsed the table; still, a walk that
  // does not land on `size` digests the rest as it is (never unchanged by
  // accident: at worst a table rendered again).
  size_t offset = l.header_size;
  while (offset + l.object_header_size <= size) {
    const uint16_t object_size = u16_at(e + offset);
    if (object_size < l.object_header_size || object_size > size - offset) break;
    const unsigned char* name = e + offset + l.object_name_at;
    const size_t name_length = strnlen(reinterpret_cast<const char*>(name), l.object_name_size);
    d.add_u32(kObject);
    d.add_u32(object_size);
    d.add_text(std::string_view(reinterpret_cast<const char*>(name), name_length));
    d.add(name + l.object_name_size, l.object_header_size - l.object_name_at - l.object_name_size);
    const unsigned char* data = e + offset + l.object_header_size;
    const size_t data_size = object_size - l.object_header_size;
    int verdict = -1;
    const bool standard =
        offset == target_offset && name_length == 0 && data_size >= sizeof verdict;
    if (standard) std::memcpy(&verdict, data, sizeof verdict);
    if (standard && verdict >= 0)
      d.add(data + sizeof verdict, data_size - sizeof verdict);  // the jump: by name below
    else
      d.add(data, data_size);
    offset += object_size;
  }
  d.add_u32(kRest);
  d.add(e + offset, size > offset ? size - offset : 0);
  d.add_text(target ? target : "");
}

// The name libiptc gives a standard verdict (standard_target_map), or
// nullptr for one it would refuse.
const char* verdict_name(int verdict) {
  switch (verdict) {
    case -2:
      return "ACCEPT";  // -NF_ACCEPT - 1
    case -1:
      return "DROP";  // -NF_DROP - 1
    case -4:
      return "QUEUE";  // -NF_QUEUE - 1
    case -5:
      return "RETURN";  // XT_RETURN
    default:
      return nullptr;
  }
}

struct BlobChain {
  std::string name;
  bool builtin = false;
  size_t head = 0, foot = 0;  // offsets: where it starts, its policy or RETURN entry
  std::vector<size_t> rules;  // entry offsets
  int verdict = 0;            // the foot's
};

constexpr const char* kHookNames[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};

}  // namespace

std::optional<XtDigest> legacy_entries_digest(std::string_view entries, const XtTableHeader& header,
                                              Family family) {
  const aim_xt_entry_layout l = aim_xt_entry_layout_of(family == Family::V6 ? 6 : 4);
  const auto* base = reinterpret_cast<const unsigned char*>(entries.data());
  const size_t size = entries.size();
  std::vector<BlobChain> chains;
  // A chain ends where the next begins: its last entry is its policy (built
  // in) or its RETURN (user), which libiptc takes out of its rules.
  auto end_chain = [&]() -> bool {
    if (chains.empty()) return true;
    BlobChain& c = chains.back();
    if (c.rules.empty()) return false;
    c.foot = c.rules.back();
    c.rules.pop_back();
    const unsigned char* e = base + c.foot;
    const size_t target = u16_at(e + l.target_offset_at);
    if (target + l.object_header_size + sizeof(int) > u16_at(e + l.next_offset_at)) return false;
    std::memcpy(&c.verdict, e + target + l.object_header_size, sizeof(int));
    return true;
  };
  size_t offset = 0;
  bool ended = false;
  while (offset < size && !ended) {
    if (size - offset < l.header_size) return std::nullopt;
    const unsigned char* e = base + offset;
    const size_t next = u16_at(e + l.next_offset_at);
    const size_t target = u16_at(e + l.target_offset_at);
    if (next < l.header_size || next > size - offset || target < l.header_size ||
        target + l.object_header_size > next)
      return std::nullopt;
    const char* name = reinterpret_cast<const char*>(e + target + l.object_name_at);
    const std::string_view target_name(name, strnlen(name, l.object_name_size));
    int hook = -1;
    for (int i = 0; i < 5; ++i)
      if ((header.valid_hooks & (1u << i)) && header.hook_entry[i] == offset) hook = i;
    if (offset + next == size) {  // the table's end (an ERROR entry)
      if (!end_chain()) return std::nullopt;
      ended = true;
    } else if (target_name == "ERROR") {  // a user chain begins; its name is the data
      if (!end_chain()) return std::nullopt;
      const char* data = reinterpret_cast<const char*>(e + target + l.object_header_size);
      const size_t room = next - target - l.object_header_size;
      const size_t length = strnlen(data, room);
      if (length == room || length == 0) return std::nullopt;
      // libiptc sorts user chains that do not come in name order: give up.
      if (!chains.empty() && !chains.back().builtin &&
          std::string_view(data, length) <= chains.back().name)
        return std::nullopt;
      chains.push_back({std::string(data, length), false, offset, 0, {}, 0});
    } else {
      if (hook >= 0) {  // a built-in chain begins with this rule
        if (!end_chain()) return std::nullopt;
        chains.push_back({kHookNames[hook], true, offset, 0, {}, 0});
      }
      if (chains.empty()) return std::nullopt;
      chains.back().rules.push_back(offset);
    }
    offset += next;
  }
  if (!ended) return std::nullopt;

  XtDigester d;
  for (const BlobChain& c : chains) {
    d.add_u32(kChain);
    d.add_text(c.name);
    d.add_u32(c.builtin ? 1 : 0);
    if (c.builtin) {
      const char* policy = verdict_name(c.verdict);
      if (!policy) return std::nullopt;
      d.add_u32(kPolicy);
      d.add_text(policy);
    }
    for (size_t at : c.rules) {
      const unsigned char* e = base + at;
      const size_t next = u16_at(e + l.next_offset_at);
      const size_t target = u16_at(e + l.target_offset_at);
      const char* name = reinterpret_cast<const char*>(e + target + l.object_name_at);
      std::string shown(name, strnlen(name, l.object_name_size));
      if (shown.empty()) {  // the standard target: a verdict, a fall-through or a jump
        if (target + l.object_header_size + sizeof(int) > next) return std::nullopt;
        int verdict;
        std::memcpy(&verdict, e + target + l.object_header_size, sizeof verdict);
        if (verdict < 0) {
          const char* v = verdict_name(verdict);
          if (!v) return std::nullopt;
          shown = v;
        } else if (static_cast<size_t>(verdict) != at + next) {
          // libiptc's jump: the user chain whose head..foot holds the
          // offset. Chains are in blob order, so by head: the last one
          // starting at or before it.
          const size_t v = static_cast<size_t>(verdict);
          auto after = std::upper_bound(chains.begin(), chains.end(), v,
                                        [](size_t x, const BlobChain& c) { return x < c.head; });
          const BlobChain* to = after == chains.begin() ? nullptr : &*std::prev(after);
          if (!to || to->builtin || v > to->foot) return std::nullopt;
          shown = to->name;
        }
      }
      add_rule(d, e, l, shown.c_str());
    }
    d.add_u32(kEnd);
  }
  return d.finish();
}

XtDigest legacy_table_digest(aim_table* table, Family family) {
  const aim_xt_entry_layout layout = aim_xt_entry_layout_of(family == Family::V6 ? 6 : 4);
  XtDigester d;
  for (const char* chain = aim_first_chain(table); chain; chain = aim_next_chain(table)) {
    d.add_u32(kChain);
    d.add_text(chain);
    const bool builtin = aim_chain_is_builtin(table, chain);
    d.add_u32(builtin ? 1 : 0);
    if (builtin) {
      const char* policy = aim_chain_policy(table, chain);
      d.add_u32(kPolicy);
      d.add_text(policy ? policy : "");
    }
    for (const void* rule = aim_first_rule(table, chain); rule; rule = aim_next_rule(table, rule))
      add_rule(d, static_cast<const unsigned char*>(rule), layout,
               aim_rule_target_name(table, rule));
    d.add_u32(kEnd);
  }
  return d.finish();
}

}  // namespace aim
