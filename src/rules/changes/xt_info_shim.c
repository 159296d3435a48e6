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

int aim_xt_table_info(int fd, int family, const char *table, unsigned *entries, unsigned *size) {
  if (strlen(table) >= XT_TABLE_MAXNAMELEN) {
    errno = EINVAL;
    return -1;
  }
  if (family == 6) {
    struct ip6t_getinfo info;
    socklen_t len = sizeof info;
    memset(&info, 0, sizeof info);
    strcpy(info.name, table);
    if (getsockopt(fd, IPPROTO_IPV6, IP6T_SO_GET_INFO, &info, &len) != 0) return -1;
    *entries = info.num_entries;
    *size = info.size;
    return 0;
  }
  struct ipt_getinfo info;
  socklen_t len = sizeof info;
  memset(&info, 0, sizeof info);
  strcpy(info.name, table);
  if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) != 0) return -1;
  *entries = info.num_entries;
  *size = info.size;
  return 0;
}
