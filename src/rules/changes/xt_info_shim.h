/* The size of a loaded x_tables table, from the kernel (IPT_SO_GET_INFO /
 * IP6T_SO_GET_INFO): entry count and blob size. Microseconds, and it copies
 * no rules (unlike IPT_SO_GET_ENTRIES, which at 10,000 services copies a
 * 67 MB blob). C because the uapi headers are not valid C++. */
#ifndef AIM_XT_INFO_SHIM_H
#define AIM_XT_INFO_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/* A raw socket to ask on (family 4 or 6; needs CAP_NET_RAW), or -1 with errno. */
int aim_xt_info_socket(int family);
/* 0 with *entries and *size set, or -1 with errno. Ask only for a table
 * listed in /proc/net/ip{,6}_tables_names: asking for another loads it. */
int aim_xt_table_info(int fd, int family, const char *table, unsigned *entries, unsigned *size);

#ifdef __cplusplus
}
#endif

#endif
