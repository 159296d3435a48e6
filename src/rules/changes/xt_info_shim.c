#include "rules/changes/xt_info_shim.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* glibc's before the kernel's: the uapi headers then skip what glibc defined. */
#include <netinet/in.h>
/* clang-format off */
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
/* clang-format on */

int aim_xt_info_socket(int family) {
  return socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
}

int aim_xt_table_info(int fd, int family, const char *table, struct aim_xt_info *out) {
  if (strlen(table) >= XT_TABLE_MAXNAMELEN) {
    errno = EINVAL;
    return -1;
  }
  /* ipt_getinfo and ip6t_getinfo are the same struct under two names. */
  struct ipt_getinfo info;
  socklen_t len = sizeof info;
  memset(&info, 0, sizeof info);
  strcpy(info.name, table);
  const int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const int name = family == 6 ? IP6T_SO_GET_INFO : IPT_SO_GET_INFO;
  if (getsockopt(fd, level, name, &info, &len) != 0) return -1;
  out->valid_hooks = info.valid_hooks;
  for (int i = 0; i < 5; ++i) {
    out->hook_entry[i] = info.hook_entry[i];
    out->underflow[i] = info.underflow[i];
  }
  out->num_entries = info.num_entries;
  out->size = info.size;
  return 0;
}

size_t aim_xt_entries_header(int family) {
  return family == 6 ? sizeof(struct ip6t_get_entries) : sizeof(struct ipt_get_entries);
}

int aim_xt_table_entries(int fd, int family, const char *table, unsigned size, void *buf) {
  if (strlen(table) >= XT_TABLE_MAXNAMELEN) {
    errno = EINVAL;
    return -1;
  }
  const size_t header = aim_xt_entries_header(family);
  /* The kernel wants exactly header + size bytes, and the size it holds. */
  socklen_t len = (socklen_t)(header + size);
  memset(buf, 0, header);
  if (family == 6) {
    struct ip6t_get_entries *get = buf;
    strcpy(get->name, table);
    get->size = size;
    return getsockopt(fd, IPPROTO_IPV6, IP6T_SO_GET_ENTRIES, buf, &len);
  }
  struct ipt_get_entries *get = buf;
  strcpy(get->name, table);
  get->size = size;
  return getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, buf, &len);
}
