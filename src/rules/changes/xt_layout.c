#include "rules/changes/xt_layout.h"

/* glibc's before the kernel's: the uapi headers then skip what glibc defined. */
#include <netinet/in.h>
/* clang-format off */
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
/* clang-format on */

struct aim_xt_entry_layout aim_xt_entry_layout_of(int family) {
  struct aim_xt_entry_layout l;
  if (family == 6) {
    l.header_size = sizeof(struct ip6t_entry);
    l.next_offset_at = offsetof(struct ip6t_entry, next_offset);
    l.counters_at = offsetof(struct ip6t_entry, counters);
    l.counters_size = sizeof(struct xt_counters);
    l.align = __alignof__(struct ip6t_entry);
    l.target_offset_at = offsetof(struct ip6t_entry, target_offset);
  } else {
    l.header_size = sizeof(struct ipt_entry);
    l.next_offset_at = offsetof(struct ipt_entry, next_offset);
    l.counters_at = offsetof(struct ipt_entry, counters);
    l.counters_size = sizeof(struct xt_counters);
    l.align = __alignof__(struct ipt_entry);
    l.target_offset_at = offsetof(struct ipt_entry, target_offset);
  }
  l.object_header_size = sizeof(struct xt_entry_match);
  l.object_name_at = offsetof(struct xt_entry_match, u.user.name);
  l.object_name_size = sizeof(((struct xt_entry_match *)0)->u.user.name);
  return l;
}
