#include "rules/legacy/table_digest.h"

#include <cstring>

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

}  // namespace

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
