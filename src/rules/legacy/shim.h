/* C interface to libiptc/libip6tc and libxtables for the legacy reader.
 *
 * This is C because libiptc's headers pull in kernel uapi headers that are not
 * valid C++. Everything here is kernel-specific translation and nothing else:
 * the text of the generic part of a rule is formatted in C++ (legacy/format.h),
 * and extension text is printed by libxtables' own save() functions to C
 * stdout, exactly as iptables -S does. One family per process (libxtables
 * registers extensions for the family active when it first loads them).
 */
#ifndef AIM_LEGACY_SHIM_H
#define AIM_LEGACY_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The generic (non-extension) part of a rule, with the kernel's flag bits
 * already decoded. Addresses and masks are in network byte order; IPv4 uses
 * the first 4 bytes. */
struct aim_rule_head {
  int family; /* 4 or 6 */
  uint8_t src[16], src_mask[16], dst[16], dst_mask[16];
  char in_iface[16], out_iface[16];
  uint8_t in_iface_mask[16], out_iface_mask[16];
  uint16_t proto;
  /* libxtables' name for proto, else the system protocol database's, else
   * empty (then the number is printed), as iptables resolves it. */
  char proto_name[32];
  uint8_t tos; /* IPv6 only, when has_tos */
  uint8_t inv_src, inv_dst, inv_in, inv_out, inv_proto;
  uint8_t frag, inv_frag;   /* IPv4 only */
  uint8_t has_tos, inv_tos; /* IPv6 only */
};

struct aim_table;

/* Prepares libxtables for one family in this process. The handler is called
 * for libxtables' fatal errors and must not return. Returns 0 or -1. */
int aim_xtables_init(int family, void (*fatal)(const char *message));
/* The same with another way to ask the kernel which extension revisions it
 * knows (libxtables' compat_rev: the nft reader asks nf_tables). */
int aim_xtables_init_with(int family, void (*fatal)(const char *message),
                          int (*compat_rev)(const char *name, uint8_t revision, int opt));

/* Opens a table snapshot. NULL on failure, with errno set. */
struct aim_table *aim_table_open(int family, const char *name);
void aim_table_close(struct aim_table *table);
/* libiptc's description of errno for the last failed call. */
const char *aim_table_strerror(int family, int err);

const char *aim_first_chain(struct aim_table *table);
const char *aim_next_chain(struct aim_table *table);
int aim_chain_is_builtin(struct aim_table *table, const char *chain);
/* Policy of a built-in chain ("ACCEPT", "DROP"), NULL for a user chain. */
const char *aim_chain_policy(struct aim_table *table, const char *chain);

const void *aim_first_rule(struct aim_table *table, const char *chain);
const void *aim_next_rule(struct aim_table *table, const void *rule);
void aim_rule_get_head(struct aim_table *table, const void *rule, struct aim_rule_head *out);

/* The name libiptc gives a rule's target (a chain it jumps to, "" for a
 * fall-through, ACCEPT, an extension's name), for digesting the rule
 * (legacy/table_digest.h). */
const char *aim_rule_target_name(struct aim_table *table, const void *rule);

/* The name iptables prints for a protocol number: libxtables' own, else the
 * system protocol database's, else empty (then the number is printed). */
void aim_protocol_name(uint16_t proto, char *out, size_t outlen);

/* Print the " -m NAME ..." parts, then the " -j/-g TARGET ..." part, of a
 * rule to C stdout. Return 0, or -1 with a message in err when an extension
 * is missing or cannot print this revision (the output is then incomplete). */
int aim_rule_print_matches(struct aim_table *table, const void *rule, char *err, size_t errlen);
int aim_rule_print_target(struct aim_table *table, const void *rule, char *err, size_t errlen);

/* Would iptables build exactly this rule's generic part (addresses, masks,
 * interfaces and their masks, protocol, flags) from head_text, the text
 * printed for it? 0, or -1 with the reason in err. */
int aim_rule_head_exact(struct aim_table *table, const void *rule, const char *head_text, char *err,
                        size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
