/* What the kernel says of a loaded x_tables table: its header
 * (IPT_SO_GET_INFO / IP6T_SO_GET_INFO: entry count, blob size, hook
 * offsets), microseconds and no rules copied; and, for fingerprinting, its
 * entries (IPT_SO_GET_ENTRIES / IP6T_SO_GET_ENTRIES: the whole blob, 67 MB
 * for nat at 10,000 services, so the caller caps it). C because the uapi
 * headers are not valid C++. */
#ifndef AIM_XT_INFO_SHIM_H
#define AIM_XT_INFO_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aim_xt_info {
  unsigned valid_hooks;
  unsigned hook_entry[5];
  unsigned underflow[5];
  unsigned num_entries;
  unsigned size;
};

/* A raw socket to ask on (family 4 or 6; needs CAP_NET_RAW), or -1 with errno. */
int aim_xt_info_socket(int family);
/* 0 with *info set, or -1 with errno. Ask only for a table listed in
 * /proc/net/ip{,6}_tables_names: asking for another loads it. */
int aim_xt_table_info(int fd, int family, const char *table, struct aim_xt_info *info);
/* How many bytes before the entries a GET_ENTRIES buffer holds. */
size_t aim_xt_entries_header(int family);
/* Copies the table's entries, `size` bytes (its header's size), into `buf`,
 * which holds aim_xt_entries_header(family) + size bytes; the entries start
 * at buf + aim_xt_entries_header(family). 0, or -1 with errno (EAGAIN: the
 * table's size is no longer `size`). */
int aim_xt_table_entries(int fd, int family, const char *table, unsigned size, void *buf);

#ifdef __cplusplus
}
#endif

#endif
