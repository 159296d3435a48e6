/* See shim.h. Kernel structures and libiptc/libxtables calls only. */
#include "rules/legacy/shim.h"

#include <errno.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xtables.h>

#include "rules/legacy/xt_roundtrip.h"
#include "rules/legacy/xt_save_limits.h"

struct aim_table {
  int family;
  struct xtc_handle *handle;
};

static void (*fatal_handler)(const char *message);

static void __attribute__((noreturn, format(printf, 2, 3)))
on_xtables_exit(enum xtables_exittype status, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  (void)status;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  aim_xt_roundtrip_trap(message); /* returns unless a round-trip check is parsing */
  if (fatal_handler) fatal_handler(message);
  fprintf(stderr, "libxtables: %s\n", message);
  _Exit(3);
}

static struct xtables_globals globals = {
    .option_offset = 0,
    .program_name = "azure-iptables-monitor",
    .program_version = "",
    .exit_err = on_xtables_exit,
    .compat_rev = xtables_compatible_revision,
};

int aim_xtables_init_with(int family, void (*fatal)(const char *message),
                          int (*compat_rev)(const char *name, uint8_t revision, int opt)) {
  fatal_handler = fatal;
  globals.compat_rev = compat_rev;
  return xtables_init_all(&globals, family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
}

int aim_xtables_init(int family, void (*fatal)(const char *message)) {
  return aim_xtables_init_with(family, fatal, xtables_compatible_revision);
}

struct aim_table *aim_table_open(int family, const char *name) {
  struct xtc_handle *h = family == 6 ? ip6tc_init(name) : iptc_init(name);
  struct aim_table *t;
  if (!h) return NULL;
  t = calloc(1, sizeof *t);
  if (!t) {
    if (family == 6)
      ip6tc_free(h);
    else
      iptc_free(h);
    errno = ENOMEM;
    return NULL;
  }
  t->family = family;
  t->handle = h;
  return t;
}

void aim_table_close(struct aim_table *t) {
  if (!t) return;
  if (t->family == 6)
    ip6tc_free(t->handle);
  else
    iptc_free(t->handle);
  free(t);
}

const char *aim_table_strerror(int family, int err) {
  return family == 6 ? ip6tc_strerror(err) : iptc_strerror(err);
}

const char *aim_first_chain(struct aim_table *t) {
  return t->family == 6 ? ip6tc_first_chain(t->handle) : iptc_first_chain(t->handle);
}

const char *aim_next_chain(struct aim_table *t) {
  return t->family == 6 ? ip6tc_next_chain(t->handle) : iptc_next_chain(t->handle);
}

int aim_chain_is_builtin(struct aim_table *t, const char *chain) {
  return t->family == 6 ? ip6tc_builtin(chain, t->handle) : iptc_builtin(chain, t->handle);
}

const char *aim_chain_policy(struct aim_table *t, const char *chain) {
  struct xt_counters counters;
  return t->family == 6 ? ip6tc_get_policy(chain, &counters, t->handle)
                        : iptc_get_policy(chain, &counters, t->handle);
}

const void *aim_first_rule(struct aim_table *t, const char *chain) {
  return t->family == 6 ? (const void *)ip6tc_first_rule(chain, t->handle)
                        : (const void *)iptc_first_rule(chain, t->handle);
}

const void *aim_next_rule(struct aim_table *t, const void *rule) {
  return t->family == 6 ? (const void *)ip6tc_next_rule(rule, t->handle)
                        : (const void *)iptc_next_rule(rule, t->handle);
}

const char *aim_rule_target_name(struct aim_table *t, const void *rule) {
  return t->family == 6 ? ip6tc_get_target(rule, t->handle) : iptc_get_target(rule, t->handle);
}

void aim_protocol_name(uint16_t proto, char *out, size_t outlen) {
  const struct protoent *pe;
  unsigned int i;
  out[0] = '\0';
  if (proto == 0) return;
  for (i = 0; xtables_chain_protos[i].name != NULL; ++i) {
    if (xtables_chain_protos[i].num == proto) {
      snprintf(out, outlen, "%s", xtables_chain_protos[i].name);
      return;
    }
  }
  pe = getprotobynumber(proto);
  if (pe) snprintf(out, outlen, "%s", pe->p_name);
}

void aim_rule_get_head(struct aim_table *t, const void *rule, struct aim_rule_head *out) {
  memset(out, 0, sizeof *out);
  out->family = t->family;
  if (t->family == 6) {
    const struct ip6t_ip6 *ip = &((const struct ip6t_entry *)rule)->ipv6;
    memcpy(out->src, &ip->src, 16);
    memcpy(out->src_mask, &ip->smsk, 16);
    memcpy(out->dst, &ip->dst, 16);
    memcpy(out->dst_mask, &ip->dmsk, 16);
    memcpy(out->in_iface, ip->iniface, 16);
    memcpy(out->out_iface, ip->outiface, 16);
    memcpy(out->in_iface_mask, ip->iniface_mask, 16);
    memcpy(out->out_iface_mask, ip->outiface_mask, 16);
    out->proto = ip->proto;
    out->inv_src = !!(ip->invflags & IP6T_INV_SRCIP);
    out->inv_dst = !!(ip->invflags & IP6T_INV_DSTIP);
    out->inv_in = !!(ip->invflags & IP6T_INV_VIA_IN);
    out->inv_out = !!(ip->invflags & IP6T_INV_VIA_OUT);
    out->inv_proto = !!(ip->invflags & XT_INV_PROTO);
    out->has_tos = !!(ip->flags & IP6T_F_TOS);
    out->inv_tos = !!(ip->invflags & IP6T_INV_TOS);
    out->tos = ip->tos;
  } else {
    const struct ipt_ip *ip = &((const struct ipt_entry *)rule)->ip;
    memcpy(out->src, &ip->src, 4);
    memcpy(out->src_mask, &ip->smsk, 4);
    memcpy(out->dst, &ip->dst, 4);
    memcpy(out->dst_mask, &ip->dmsk, 4);
    memcpy(out->in_iface, ip->iniface, 16);
    memcpy(out->out_iface, ip->outiface, 16);
    memcpy(out->in_iface_mask, ip->iniface_mask, 16);
    memcpy(out->out_iface_mask, ip->outiface_mask, 16);
    out->proto = ip->proto;
    out->inv_src = !!(ip->invflags & IPT_INV_SRCIP);
    out->inv_dst = !!(ip->invflags & IPT_INV_DSTIP);
    out->inv_in = !!(ip->invflags & IPT_INV_VIA_IN);
    out->inv_out = !!(ip->invflags & IPT_INV_VIA_OUT);
    out->inv_proto = !!(ip->invflags & XT_INV_PROTO);
    out->frag = !!(ip->flags & IPT_F_FRAG);
    out->inv_frag = !!(ip->invflags & IPT_INV_FRAG);
  }
  aim_protocol_name(out->proto, out->proto_name, sizeof out->proto_name);
}

/* One match: " -m NAME" (or the extension's alias) followed by its save().
 * Unlike iptables, a missing library or an unknown revision is an error for
 * the caller, never silently different text; so is text from which iptables
 * would build other data than the kernel's (see xt_roundtrip.h). */
static int print_match(int family, const struct xt_entry_match *m, const void *ip, char *err,
                       size_t errlen) {
  const char *name = m->u.user.name;
  struct xtables_match *family_match, *exact, *shown;
  struct aim_xt_capture capture;
  const char *text;
  char reason[400];
  int ok;
  void *scratch;

  family_match = xtables_find_match(name, XTF_TRY_LOAD, NULL);
  if (!family_match) {
    snprintf(err, errlen, "no libxtables extension for match '%s'", name);
    return -1;
  }
  exact = xtables_find_match_revision(name, XTF_TRY_LOAD, family_match, m->u.user.revision);
  if (!exact && family_match->save) {
    snprintf(err, errlen, "libxtables cannot print revision %u of match '%s'",
             (unsigned)m->u.user.revision, name);
    return -1;
  }
  shown = exact ? exact : family_match;
  if (!aim_xt_save_safe(family, 0, name, m->data, m->u.match_size - sizeof(*m), err, errlen))
    return -1;
  if (aim_xt_capture_begin(&capture) < 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  scratch = aim_xt_scratch_copy(m, m->u.match_size);
  if (!scratch) {
    aim_xt_capture_free(&capture);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  printf(" -m %s", shown->alias ? shown->alias(scratch) : name);
  if (exact && exact->save) exact->save(ip, scratch);
  text = aim_xt_capture_end(&capture);
  if (!text) {
    aim_xt_capture_free(&capture);
    snprintf(err, errlen, "cannot capture the text of match '%s'", name);
    return -1;
  }
  fputs(text, stdout);
  ok = aim_xt_match_exact(family, ip, m, text, reason, sizeof reason);
  aim_xt_capture_free(&capture);
  if (!ok) {
    snprintf(err, errlen, "match '%s' revision %u is not what its text says: %s", name,
             (unsigned)m->u.user.revision, reason);
    return -1;
  }
  return 0;
}

int aim_rule_print_matches(struct aim_table *t, const void *rule, char *err, size_t errlen) {
  const unsigned char *base = rule;
  unsigned int offset, target_offset;
  const void *ip;
  if (t->family == 6) {
    const struct ip6t_entry *e = rule;
    offset = sizeof(*e);
    target_offset = e->target_offset;
    ip = &e->ipv6;
  } else {
    const struct ipt_entry *e = rule;
    offset = sizeof(*e);
    target_offset = e->target_offset;
    ip = &e->ip;
  }
  while (offset < target_offset) {
    const struct xt_entry_match *m = (const void *)(base + offset);
    if (m->u.match_size < sizeof(*m)) {
      snprintf(err, errlen, "malformed match of size %u", (unsigned)m->u.match_size);
      return -1;
    }
    if (print_match(t->family, m, ip, err, errlen) < 0) return -1;
    offset += m->u.match_size;
  }
  return 0;
}

int aim_rule_print_target(struct aim_table *t, const void *rule, char *err, size_t errlen) {
  const struct xt_entry_target *target;
  const char *target_name;
  const void *ip;
  int is_goto;
  if (t->family == 6) {
    const struct ip6t_entry *e = rule;
    target = ip6t_get_target((struct ip6t_entry *)e);
    target_name = ip6tc_get_target(e, t->handle);
    is_goto = !!(e->ipv6.flags & IP6T_F_GOTO);
    ip = &e->ipv6;
  } else {
    const struct ipt_entry *e = rule;
    target = ipt_get_target((struct ipt_entry *)e);
    target_name = iptc_get_target(e, t->handle);
    is_goto = !!(e->ip.flags & IPT_F_GOTO);
    ip = &e->ip;
  }

  if (target->u.user.name[0]) {
    const char *name = target->u.user.name;
    struct xtables_target *family_target, *exact, *shown;
    struct aim_xt_capture capture;
    const char *text;
    char reason[400];
    int ok;
    void *scratch;
    family_target = xtables_find_target(name, XTF_TRY_LOAD);
    if (!family_target) {
      snprintf(err, errlen, "no libxtables extension for target '%s'", name);
      return -1;
    }
    exact =
        xtables_find_target_revision(name, XTF_TRY_LOAD, family_target, target->u.user.revision);
    if (!exact && family_target->save) {
      snprintf(err, errlen, "libxtables cannot print revision %u of target '%s'",
               (unsigned)target->u.user.revision, name);
      return -1;
    }
    shown = exact ? exact : family_target;
    const size_t data_len =
        target->u.target_size > sizeof(*target) ? target->u.target_size - sizeof(*target) : 0;
    if (!aim_xt_save_safe(t->family, 1, name, target->data, data_len, err, errlen)) return -1;
    if (aim_xt_capture_begin(&capture) < 0) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    scratch = aim_xt_scratch_copy(target, target->u.target_size);
    if (!scratch) {
      aim_xt_capture_free(&capture);
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    printf(" -j %s", shown->alias ? shown->alias(scratch) : target_name);
    if (exact && exact->save) exact->save(ip, scratch);
    text = aim_xt_capture_end(&capture);
    if (!text) {
      aim_xt_capture_free(&capture);
      snprintf(err, errlen, "cannot capture the text of target '%s'", name);
      return -1;
    }
    fputs(text, stdout);
    ok = aim_xt_target_exact(t->family, ip, target, text, reason, sizeof reason);
    aim_xt_capture_free(&capture);
    if (!ok) {
      snprintf(err, errlen, "target '%s' revision %u is not what its text says: %s", name,
               (unsigned)target->u.user.revision, reason);
      return -1;
    }
  } else if (target_name && target_name[0]) {
    printf(" -%c %s", is_goto ? 'g' : 'j', target_name);
  }
  return 0;
}

int aim_rule_head_exact(struct aim_table *t, const void *rule, const char *head_text, char *err,
                        size_t errlen) {
  const struct xt_entry_target *target;
  const void *ip;
  int goto_flag;
  if (t->family == 6) {
    const struct ip6t_entry *e = rule;
    target = ip6t_get_target((struct ip6t_entry *)e);
    goto_flag = !!(e->ipv6.flags & IP6T_F_GOTO);
    ip = &e->ipv6;
  } else {
    const struct ipt_entry *e = rule;
    target = ipt_get_target((struct ipt_entry *)e);
    goto_flag = !!(e->ip.flags & IPT_F_GOTO);
    ip = &e->ip;
  }
  /* -g is printed only with a standard target (aim_rule_print_target), and
   * iptables builds the flag only for a jump to a user chain ("-g ACCEPT" is
   * refused): any other goto flag is not in the text. */
  if (target->u.user.name[0] || ((const struct xt_standard_target *)target)->verdict < 0)
    goto_flag = 0;
  return aim_xt_head_exact(t->family, ip, head_text, goto_flag, err, errlen) ? 0 : -1;
}
