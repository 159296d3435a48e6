/* C interface to libxtables for the in-process nft reader: prints the
 * extension parts of a translated iptables-nft rule with libxtables' own
 * save() functions, as iptables-nft 1.8.9 does when it lists a rule.
 *
 * C because the xtables and kernel uapi headers are not valid C++. One
 * family per process (see legacy/shim.h); the C++ side decides what a rule's
 * expressions mean, this side only builds the xtables structures iptables-nft
 * builds from them and prints them. Every function returns 0, or -1 with a
 * reason in err when the text could differ from iptables-nft's (then the
 * caller falls back to iptables-nft-save for the table).
 */
#ifndef AIM_NFT_SHIM_H
#define AIM_NFT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "rules/legacy/shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prepares libxtables for one family with iptables-nft's revision check (the
 * kernel's nf_tables compat layer instead of the x_tables socket options, so
 * the same extension revisions are chosen as by iptables-nft). 0 or -1. */
int aim_nft_xtables_init(int family, void (*fatal)(const char *message));

/* The generic part of the rule being printed, handed to every save() as
 * iptables-nft does (its struct ipt_entry / ip6t_entry). `is_goto` sets the
 * entry's goto flag. */
void aim_nft_set_rule_head(const struct aim_rule_head *head, int is_goto);

/* " -m NAME ..." for a compat match expression. */
int aim_nft_print_match(const char *name, uint32_t revision, const void *info, size_t info_len,
                        char *err, size_t errlen);
/* " -j NAME ..." for a compat target expression. */
int aim_nft_print_target(const char *name, uint32_t revision, const void *info, size_t info_len,
                         char *err, size_t errlen);

/* The tcp/udp match iptables-nft rebuilds from native port and flag
 * comparisons: the fields of struct xt_tcp / xt_udp after its parser ran. */
struct aim_nft_ports {
  uint16_t spts[2], dpts[2];
  uint8_t invflags;
  uint8_t flg_mask, flg_cmp; /* tcp only */
};
int aim_nft_print_tcp(const struct aim_nft_ports *p, char *err, size_t errlen);
int aim_nft_print_udp(const struct aim_nft_ports *p, char *err, size_t errlen);
/* The mark match (revision 1) rebuilt from meta mark [bitwise] cmp. */
int aim_nft_print_mark(uint32_t mark, uint32_t mask, int invert, char *err, size_t errlen);
/* The comment match rebuilt from a comment in the rule's user data. */
int aim_nft_print_comment(const char *comment, char *err, size_t errlen);
/* The limit match rebuilt from a native limit expression. */
int aim_nft_print_limit(uint32_t avg, uint32_t burst, char *err, size_t errlen);
/* " -j NFLOG ..." rebuilt from a native log expression (prefix up to 127
 * bytes, as iptables-nft keeps it). */
int aim_nft_print_nflog(const char *prefix, uint16_t group, uint16_t threshold, int has_snaplen,
                        uint32_t snaplen, char *err, size_t errlen);

/* 1 when "-j NAME" names a target (an extension or a built-in verdict)
 * rather than a jump to a chain called NAME. */
int aim_nft_names_target(const char *name);

/* A number that moves whenever what the printers above may answer could
 * have changed: a library loaded (an extension registers names) or the
 * extension directories' listing changed. Equal numbers: a rule prints the
 * same text (nft/render.h's ChainTextCache relies on it). */
unsigned long long aim_nft_extension_epoch(void);

#ifdef __cplusplus
}
#endif

#endif
