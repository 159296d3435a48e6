/* See xt_save_limits.h. The limits are the sizes of the name tables in
 * iptables 1.8.9's extensions (libipt_REJECT, libip6t_REJECT, libxt_tcp,
 * libxt_dccp), each indexed by a field of the blob. */
#include "rules/legacy/xt_save_limits.h"

#include <stdio.h>
#include <string.h>

/* glibc's before the kernel's: the uapi headers then skip what glibc defined. */
#include <netinet/in.h>
/* clang-format off */
#include <linux/netfilter/xt_dccp.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
/* clang-format on */

/* The last DCCP packet type libxt_dccp names (DCCP_PKT_INVALID). */
enum { DCCP_NAMED_TYPES = 10 };

static int refuse(char *err, size_t errlen, const char *what, unsigned value) {
  snprintf(err, errlen, "%s %#x has no name libxtables could print", what, value);
  return 0;
}

int aim_xt_save_safe(int family, int is_target, const char *name, const void *data, size_t len,
                     char *err, size_t errlen) {
  if (is_target && !strcmp(name, "REJECT")) {
    /* Both families' info is one enum first. */
    uint32_t with;
    const uint32_t last = family == 6 ? IP6T_ICMP6_REJECT_ROUTE : IPT_ICMP_ADMIN_PROHIBITED;
    if (len < sizeof with) return refuse(err, errlen, "a short REJECT info of size", (unsigned)len);
    memcpy(&with, data, sizeof with);
    if (with > last) return refuse(err, errlen, "REJECT's --reject-with", with);
    return 1;
  }
  if (!is_target && !strcmp(name, "tcp")) {
    struct xt_tcp tcp;
    if (len < sizeof tcp) return refuse(err, errlen, "a short tcp info of size", (unsigned)len);
    memcpy(&tcp, data, sizeof tcp);
    if ((tcp.flg_mask | tcp.flg_cmp) & ~AIM_XT_TCP_NAMED_FLAGS)
      return refuse(err, errlen, "the tcp flag bits", (unsigned)(tcp.flg_mask | tcp.flg_cmp));
    return 1;
  }
  if (!is_target && !strcmp(name, "dccp")) {
    struct xt_dccp_info dccp;
    if (len < sizeof dccp) return refuse(err, errlen, "a short dccp info of size", (unsigned)len);
    memcpy(&dccp, data, sizeof dccp);
    if (dccp.typemask >> DCCP_NAMED_TYPES)
      return refuse(err, errlen, "the dccp type mask", dccp.typemask);
    return 1;
  }
  return 1;
}
