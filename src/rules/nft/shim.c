/* See shim.h. Builds the xtables structures iptables-nft 1.8.9 builds
 * when it turns a rule's expressions back into matches and a target, and
 * prints them with libxtables, as iptables-nft does. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dl_iterate_phdr */
#endif
#include "rules/nft/shim.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* xtables.h (net/if.h) before the kernel headers (linux/if.h). */
/* clang-format off */
#include <xtables.h>
/* clang-format on */

#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netlink.h>

#include "rules/legacy/xt_roundtrip.h"
#include "rules/legacy/xt_save_limits.h"

/* Does the kernel's nf_tables compat layer know revision `rev` of this
 * extension? The question and the answers iptables-nft 1.8.9 uses
 * (nft_compatible_revision), so libxtables settles on the same revision. */
static int nft_compat_revision(const char *name, uint8_t rev, int opt) {
  uint32_t type = 0;
  uint8_t pf = AF_INET;
  char buf[8192];
  struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
  struct nfgenmsg *nfg;
  struct timeval timeout = {5, 0};
  size_t name_len = strnlen(name, XT_EXTENSION_MAXNAMELEN) + 1;
  ssize_t n;
  int fd, error = 0;

  switch (opt) {
    case IPT_SO_GET_REVISION_MATCH:
      break;
    case IP6T_SO_GET_REVISION_MATCH:
      pf = AF_INET6;
      break;
    case IPT_SO_GET_REVISION_TARGET:
      type = 1;
      break;
    case IP6T_SO_GET_REVISION_TARGET:
      type = 1;
      pf = AF_INET6;
      break;
    default:
      return 1;
  }

  memset(buf, 0, sizeof buf);
  nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = (NFNL_SUBSYS_NFT_COMPAT << 8) | NFNL_MSG_COMPAT_GET;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  nfg = NLMSG_DATA(nlh);
  nfg->nfgen_family = pf;
  nfg->version = NFNETLINK_V0;
  {
    struct {
      uint16_t type;
      const void *data;
      size_t len;
    } attrs[3];
    uint32_t rev_be = htonl(rev), type_be = htonl(type);
    size_t i;
    attrs[0].type = NFTA_COMPAT_NAME;
    attrs[0].data = name;
    attrs[0].len = name_len;
    attrs[1].type = NFTA_COMPAT_REV;
    attrs[1].data = &rev_be;
    attrs[1].len = 4;
    attrs[2].type = NFTA_COMPAT_TYPE;
    attrs[2].data = &type_be;
    attrs[2].len = 4;
    for (i = 0; i < 3; ++i) {
      struct nlattr *a = (struct nlattr *)(buf + NLMSG_ALIGN(nlh->nlmsg_len));
      a->nla_type = attrs[i].type;
      a->nla_len = (uint16_t)(NLA_HDRLEN + attrs[i].len);
      memcpy((char *)a + NLA_HDRLEN, attrs[i].data, attrs[i].len);
      nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
    }
  }

  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  {
    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
      error = errno;
      goto out;
    }
  }
  n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) {
    error = errno;
    goto out;
  }
  {
    int remaining = (int)n;
    struct nlmsghdr *msg;
    for (msg = (struct nlmsghdr *)buf; NLMSG_OK(msg, remaining); msg = NLMSG_NEXT(msg, remaining)) {
      if (msg->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(msg);
        if (e->error) error = -e->error;
        break;
      }
    }
  }
out:
  close(fd);
  if (error) {
    /* As iptables-nft: a permission problem or revision 0 counts as known. */
    if (error == EPERM || rev == 0) return 1;
    return 0;
  }
  return 1;
}

static int family;
static struct ipt_entry entry4;
static struct ip6t_entry entry6;

int aim_nft_xtables_init(int fam, void (*fatal)(const char *message)) {
  family = fam;
  return aim_xtables_init_with(fam, fatal, nft_compat_revision);
}

static const void *rule_ip(void) {
  return family == 6 ? (const void *)&entry6 : (const void *)&entry4;
}

void aim_nft_set_rule_head(const struct aim_rule_head *h, int is_goto) {
  if (family == 6) {
    struct ip6t_ip6 *ip = &entry6.ipv6;
    memset(&entry6, 0, sizeof entry6);
    memcpy(&ip->src, h->src, 16);
    memcpy(&ip->smsk, h->src_mask, 16);
    memcpy(&ip->dst, h->dst, 16);
    memcpy(&ip->dmsk, h->dst_mask, 16);
    memcpy(ip->iniface, h->in_iface, IFNAMSIZ);
    memcpy(ip->outiface, h->out_iface, IFNAMSIZ);
    memcpy(ip->iniface_mask, h->in_iface_mask, IFNAMSIZ);
    memcpy(ip->outiface_mask, h->out_iface_mask, IFNAMSIZ);
    ip->proto = h->proto;
    ip->invflags = (h->inv_src ? IP6T_INV_SRCIP : 0) | (h->inv_dst ? IP6T_INV_DSTIP : 0) |
                   (h->inv_in ? IP6T_INV_VIA_IN : 0) | (h->inv_out ? IP6T_INV_VIA_OUT : 0) |
                   (h->inv_proto ? XT_INV_PROTO : 0);
    ip->flags = is_goto ? IP6T_F_GOTO : 0;
  } else {
    struct ipt_ip *ip = &entry4.ip;
    memset(&entry4, 0, sizeof entry4);
    memcpy(&ip->src, h->src, 4);
    memcpy(&ip->smsk, h->src_mask, 4);
    memcpy(&ip->dst, h->dst, 4);
    memcpy(&ip->dmsk, h->dst_mask, 4);
    memcpy(ip->iniface, h->in_iface, IFNAMSIZ);
    memcpy(ip->outiface, h->out_iface, IFNAMSIZ);
    memcpy(ip->iniface_mask, h->in_iface_mask, IFNAMSIZ);
    memcpy(ip->outiface_mask, h->out_iface_mask, IFNAMSIZ);
    ip->proto = h->proto;
    ip->invflags = (h->inv_src ? IPT_INV_SRCIP : 0) | (h->inv_dst ? IPT_INV_DSTIP : 0) |
                   (h->inv_in ? IPT_INV_VIA_IN : 0) | (h->inv_out ? IPT_INV_VIA_OUT : 0) |
                   (h->inv_proto ? XT_INV_PROTO : 0) | (h->inv_frag ? IPT_INV_FRAG : 0);
    ip->flags = (h->frag ? IPT_F_FRAG : 0) | (is_goto ? IPT_F_GOTO : 0);
  }
}

/* The extension iptables-nft would print `name` with, if it is exactly the
 * revision the kernel holds and the blob has the size that revision's
 * structure has; anything else would be printed from a misread blob. */
static struct xtables_match *exact_match(const char *name, uint32_t revision, size_t len, char *err,
                                         size_t errlen) {
  struct xtables_match *m = xtables_find_match(name, XTF_TRY_LOAD, NULL);
  if (!m) {
    snprintf(err, errlen, "no libxtables extension for match '%s'", name);
    return NULL;
  }
  if (m->revision != revision) {
    snprintf(err, errlen, "match '%s' is revision %u, iptables-nft would print it as revision %u",
             name, (unsigned)revision, (unsigned)m->revision);
    return NULL;
  }
  if (len != XT_ALIGN(m->size)) {
    snprintf(err, errlen, "match '%s' carries %zu bytes, its structure has %zu", name, len,
             (size_t)XT_ALIGN(m->size));
    return NULL;
  }
  return m;
}

/* Zero bytes after a copied blob: a string field the kernel left without its
 * NUL then ends there when save() prints it, instead of save() reading on
 * into whatever follows (the round trip then refuses the text). */
enum { XT_STRING_TAIL = 8 };

static struct xt_entry_match *new_match_entry(const struct xtables_match *m, size_t len) {
  struct xt_entry_match *e =
      calloc(1, XT_ALIGN(sizeof(struct xt_entry_match)) + len + XT_STRING_TAIL);
  if (!e) return NULL;
  e->u.match_size = (uint16_t)(XT_ALIGN(sizeof(struct xt_entry_match)) + len);
  e->u.user.revision = m->revision;
  snprintf(e->u.user.name, sizeof e->u.user.name, "%s", m->name);
  return e;
}

static int save_match(struct xtables_match *m, struct xt_entry_match *e) {
  printf(" -m %s", m->alias ? m->alias(e) : m->name);
  if (m->save) m->save(rule_ip(), e);
  free(e);
  return 0;
}

int aim_nft_print_match(const char *name, uint32_t revision, const void *info, size_t info_len,
                        char *err, size_t errlen) {
  struct xtables_match *m = exact_match(name, revision, info_len, err, errlen);
  struct xt_entry_match *e;
  struct aim_xt_capture capture;
  const char *text;
  char reason[400];
  int ok;
  void *scratch;
  if (!m) return -1;
  if (!aim_xt_save_safe(family, 0, m->name, info, info_len, err, errlen)) return -1;
  e = new_match_entry(m, info_len);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(e->data, info, info_len);
  if (aim_xt_capture_begin(&capture) < 0) {
    free(e);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  /* save() may write into what it prints: it prints a copy, and the check
   * compares with the kernel's bytes in `e`. */
  scratch = aim_xt_scratch_copy(e, e->u.match_size);
  if (scratch) {
    printf(" -m %s", m->alias ? m->alias(scratch) : m->name);
    if (m->save) m->save(rule_ip(), scratch);
  }
  text = aim_xt_capture_end(&capture);
  ok = scratch && text && aim_xt_match_exact(family, rule_ip(), e, text, reason, sizeof reason);
  if (text) fputs(text, stdout);
  aim_xt_capture_free(&capture);
  free(e);
  if (!ok) {
    snprintf(err, errlen, "compat match '%s' is not what its text says: %s", name,
             text ? reason : "its text could not be captured");
    return -1;
  }
  return 0;
}

int aim_nft_print_target(const char *name, uint32_t revision, const void *info, size_t info_len,
                         char *err, size_t errlen) {
  struct xtables_target *t;
  struct xt_entry_target *e;
  struct aim_xt_capture capture;
  const char *text;
  char reason[400];
  int ok;
  void *scratch;
  /* These would be libxtables' standard target, never a compat expression
   * iptables-nft writes. */
  if (!name[0] || !strcmp(name, "ACCEPT") || !strcmp(name, "DROP") || !strcmp(name, "QUEUE") ||
      !strcmp(name, "RETURN") || !strcmp(name, "standard")) {
    snprintf(err, errlen, "compat target named '%s'", name);
    return -1;
  }
  t = xtables_find_target(name, XTF_TRY_LOAD);
  if (!t) {
    snprintf(err, errlen, "no libxtables extension for target '%s'", name);
    return -1;
  }
  if (t->revision != revision) {
    snprintf(err, errlen, "target '%s' is revision %u, iptables-nft would print it as revision %u",
             name, (unsigned)revision, (unsigned)t->revision);
    return -1;
  }
  if (info_len != XT_ALIGN(t->size)) {
    snprintf(err, errlen, "target '%s' carries %zu bytes, its structure has %zu", name, info_len,
             (size_t)XT_ALIGN(t->size));
    return -1;
  }
  if (!aim_xt_save_safe(family, 1, t->name, info, info_len, err, errlen)) return -1;
  e = calloc(1, XT_ALIGN(sizeof(struct xt_entry_target)) + info_len + XT_STRING_TAIL);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(e->data, info, info_len);
  e->u.target_size = (uint16_t)(XT_ALIGN(sizeof(struct xt_entry_target)) + info_len);
  e->u.user.revision = (uint8_t)revision;
  snprintf(e->u.user.name, sizeof e->u.user.name, "%s", t->name);
  if (aim_xt_capture_begin(&capture) < 0) {
    free(e);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  scratch = aim_xt_scratch_copy(e, e->u.target_size);
  if (scratch) {
    printf(" -j %s", t->alias ? t->alias(scratch) : t->name);
    if (t->save) t->save(rule_ip(), scratch);
  }
  text = aim_xt_capture_end(&capture);
  ok = scratch && text && aim_xt_target_exact(family, rule_ip(), e, text, reason, sizeof reason);
  if (text) fputs(text, stdout);
  aim_xt_capture_free(&capture);
  free(e);
  if (!ok) {
    snprintf(err, errlen, "compat target '%s' is not what its text says: %s", name,
             text ? reason : "its text could not be captured");
    return -1;
  }
  return 0;
}

/* A match iptables-nft creates itself (nft_create_match): the registered
 * revision, initialised by the extension, then filled from expressions. */
static struct xt_entry_match *created_match(const char *name, uint32_t revision, size_t size,
                                            struct xtables_match **out, char *err, size_t errlen) {
  struct xtables_match *m = xtables_find_match(name, XTF_TRY_LOAD, NULL);
  struct xt_entry_match *e;
  if (!m) {
    snprintf(err, errlen, "no libxtables extension for match '%s'", name);
    return NULL;
  }
  if (m->revision != revision || m->size != XT_ALIGN(size)) {
    snprintf(err, errlen, "libxtables' match '%s' is revision %u of size %zu, not %u of %zu", name,
             (unsigned)m->revision, (size_t)m->size, (unsigned)revision, size);
    return NULL;
  }
  e = new_match_entry(m, XT_ALIGN(m->size));
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (m->init) m->init(e);
  *out = m;
  return e;
}

int aim_nft_print_tcp(const struct aim_nft_ports *p, char *err, size_t errlen) {
  struct xtables_match *m;
  struct xt_entry_match *e = created_match("tcp", 0, sizeof(struct xt_tcp), &m, err, errlen);
  struct xt_tcp *tcp;
  if (!e) return -1;
  tcp = (struct xt_tcp *)e->data;
  memcpy(tcp->spts, p->spts, sizeof tcp->spts);
  memcpy(tcp->dpts, p->dpts, sizeof tcp->dpts);
  tcp->invflags = p->invflags;
  tcp->flg_mask = p->flg_mask;
  tcp->flg_cmp = p->flg_cmp;
  tcp->option = 0;
  if (!aim_xt_save_safe(family, 0, "tcp", tcp, sizeof *tcp, err, errlen)) {
    free(e);
    return -1;
  }
  return save_match(m, e);
}

int aim_nft_print_udp(const struct aim_nft_ports *p, char *err, size_t errlen) {
  struct xtables_match *m;
  struct xt_entry_match *e = created_match("udp", 0, sizeof(struct xt_udp), &m, err, errlen);
  struct xt_udp *udp;
  if (!e) return -1;
  udp = (struct xt_udp *)e->data;
  memcpy(udp->spts, p->spts, sizeof udp->spts);
  memcpy(udp->dpts, p->dpts, sizeof udp->dpts);
  udp->invflags = p->invflags;
  return save_match(m, e);
}

int aim_nft_print_mark(uint32_t mark, uint32_t mask, int invert, char *err, size_t errlen) {
  struct xtables_match *m;
  struct xt_entry_match *e =
      created_match("mark", 1, sizeof(struct xt_mark_mtinfo1), &m, err, errlen);
  struct xt_mark_mtinfo1 *info;
  if (!e) return -1;
  info = (struct xt_mark_mtinfo1 *)e->data;
  info->mark = mark;
  info->mask = mask;
  info->invert = invert ? 1 : 0;
  return save_match(m, e);
}

int aim_nft_print_comment(const char *comment, char *err, size_t errlen) {
  struct xtables_match *m;
  struct xt_entry_match *e =
      created_match("comment", 0, sizeof(struct xt_comment_info), &m, err, errlen);
  if (!e) return -1;
  strncpy((char *)e->data, comment, m->size - 1);
  return save_match(m, e);
}

int aim_nft_print_limit(uint32_t avg, uint32_t burst, char *err, size_t errlen) {
  struct xtables_match *m;
  struct xt_entry_match *e = created_match("limit", 0, sizeof(struct xt_rateinfo), &m, err, errlen);
  struct xt_rateinfo *info;
  if (!e) return -1;
  info = (struct xt_rateinfo *)e->data;
  info->avg = avg;
  info->burst = burst;
  return save_match(m, e);
}

/* iptables-nft's own layout for a logging target read from nftables: that
 * of struct xt_nflog_info with room for nftables' longer prefix. */
struct nflog_info_nft {
  uint32_t len;
  uint16_t group;
  uint16_t threshold;
  uint16_t flags;
  uint16_t pad;
  char prefix[128];
};

int aim_nft_print_nflog(const char *prefix, uint16_t group, uint16_t threshold, int has_snaplen,
                        uint32_t snaplen, char *err, size_t errlen) {
  struct xtables_target *t = xtables_find_target("NFLOG", XTF_TRY_LOAD);
  struct xt_entry_target *e;
  struct nflog_info_nft info;
  size_t size = XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(sizeof info);
  if (!t) {
    snprintf(err, errlen, "no libxtables extension for target 'NFLOG'");
    return -1;
  }
  if (t->revision != 0) {
    snprintf(err, errlen, "libxtables' NFLOG is revision %u", (unsigned)t->revision);
    return -1;
  }
  memset(&info, 0, sizeof info);
  info.group = group;
  info.threshold = threshold;
  if (has_snaplen) {
    info.len = snaplen;
    info.flags = XT_NFLOG_F_COPY_LEN;
  }
  snprintf(info.prefix, sizeof info.prefix, "%s", prefix);
  e = calloc(1, size);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  e->u.target_size = (uint16_t)size;
  e->u.user.revision = t->revision;
  snprintf(e->u.user.name, sizeof e->u.user.name, "%s", t->name);
  memcpy(e->data, &info, sizeof info);
  printf(" -j %s", t->alias ? t->alias(e) : t->name);
  if (t->save) t->save(rule_ip(), e);
  free(e);
  return 0;
}

/* The files of libxtables' extension directories, sorted, so that a name
 * with no file is answered without a stat() per directory and prefix: a
 * 10,000-service ruleset jumps to 40,000 chain names, none a target. Listed
 * again when a second has passed and a directory changed (an extension
 * installed is seen as iptables-nft would see it, within a second). */
struct extension_files {
  char *path;   /* the search path it was listed from */
  char **names; /* sorted file names */
  size_t count;
  int usable; /* listed whole, and holds libxt_standard.so */
  struct timespec listed_at;
  unsigned long long stamp; /* of every directory's inode and change times */
};
static struct extension_files extension_files;

static const char *extension_search_path(void) {
  /* xtables_init()'s choice. */
  const char *path = getenv("XTABLES_LIBDIR");
  if (!path) path = getenv("IPTABLES_LIB_DIR");
#ifdef AIM_XTABLES_LIBDIR
  if (!path) path = AIM_XTABLES_LIBDIR;
#endif
  return path;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How many times the listing was made anew (aim_nft_extension_epoch). */
static unsigned long long extension_listings;

static void forget_extension_files(void) {
  for (size_t i = 0; i < extension_files.count; ++i) free(extension_files.names[i]);
  free(extension_files.names);
  free(extension_files.path);
  memset(&extension_files, 0, sizeof extension_files);
}

/* Calls `each` for every directory of the search path; 0 when one failed. */
static int for_each_dir(const char *path, int (*each)(const char *dir, void *arg), void *arg) {
  char dir[4096];
  const char *from = path;
  for (;;) {
    const char *end = strchr(from, ':');
    size_t len = end ? (size_t)(end - from) : strlen(from);
    if (len >= sizeof dir) return 0;
    memcpy(dir, from, len);
    dir[len] = '\0';
    if (!each(dir, arg)) return 0;
    if (!end) return 1;
    from = end + 1;
  }
}

static int stamp_dir(const char *dir, void *arg) {
  unsigned long long *stamp = arg;
  struct stat st;
  if (stat(dir, &st) != 0) {
    *stamp = *stamp * 1000003ULL + (unsigned long long)errno;
    return 1;
  }
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_dev;
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_ino;
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_mtim.tv_sec;
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_mtim.tv_nsec;
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_ctim.tv_sec;
  *stamp = *stamp * 1000003ULL + (unsigned long long)st.st_ctim.tv_nsec;
  return 1;
}

static int list_dir(const char *dir, void *arg) {
  size_t *capacity = arg;
  DIR *d = opendir(dir);
  struct dirent *entry;
  if (!d) return errno == ENOENT; /* a missing directory holds nothing */
  while ((entry = readdir(d)) != NULL) {
    if (extension_files.count == *capacity) {
      size_t grown = *capacity ? *capacity * 2 : 256;
      char **names = realloc(extension_files.names, grown * sizeof *names);
      if (!names) break;
      extension_files.names = names;
      *capacity = grown;
    }
    if (!(extension_files.names[extension_files.count] = strdup(entry->d_name))) break;
    ++extension_files.count;
  }
  if (entry) { /* out of memory */
    closedir(d);
    return 0;
  }
  closedir(d);
  return 1;
}

static void refresh_extension_files(void) {
  const char *path = extension_search_path();
  struct timespec now;
  unsigned long long stamp = 0;
  size_t capacity = 0;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (extension_files.path && path && !strcmp(path, extension_files.path) &&
      now.tv_sec - extension_files.listed_at.tv_sec < 1)
    return;
  if (path) for_each_dir(path, stamp_dir, &stamp);
  if (extension_files.path && path && !strcmp(path, extension_files.path) &&
      stamp == extension_files.stamp) {
    extension_files.listed_at = now;
    return;
  }
  forget_extension_files();
  ++extension_listings;
  if (!path || !(extension_files.path = strdup(path))) return;
  extension_files.listed_at = now;
  extension_files.stamp = stamp;
  if (!for_each_dir(path, list_dir, &capacity)) return;
  qsort(extension_files.names, extension_files.count, sizeof *extension_files.names, compare_names);
  {
    const char *standard = "libxt_standard.so";
    extension_files.usable = bsearch(&standard, extension_files.names, extension_files.count,
                                     sizeof *extension_files.names, compare_names) != NULL;
  }
}

/* 0 when libxtables' load_extension() would find no file for `name`
 * (prefixes libxt_ and the family's, e.g. libipt_); 1 when it may. */
static int extension_file_may_exist(const char *name) {
  const char *prefixes[] = {"libxt_", family == 6 ? "libip6t_" : "libipt_"};
  char file[256];
  const char *key = file;
  refresh_extension_files();
  if (!extension_files.usable) return 1;
  for (size_t i = 0; i < 2; ++i) {
    if ((size_t)snprintf(file, sizeof file, "%s%s.so", prefixes[i], name) >= sizeof file) return 1;
    if (bsearch(&key, extension_files.names, extension_files.count, sizeof *extension_files.names,
                compare_names))
      return 1;
  }
  return 0;
}

/* libxtables' lists of targets (registered, and registered pending use),
 * exported though not declared in xtables.h. */
extern struct xtables_target *xtables_pending_targets;

/* The names libxtables' lists hold for this family, sorted: a name that is
 * in neither them nor a file is no target, answered without walking the
 * lists (hundreds of entries) for each of 40,000 chain names. Names are
 * registered only by a library loading (its constructor), so the index
 * holds while glibc's count of loaded objects does. */
struct target_names {
  const char **names;
  size_t count;
  unsigned long long built_at_adds;
  int usable;
};
static struct target_names target_names;

static int on_object(struct dl_phdr_info *info, size_t size, void *adds) {
  (void)size;
  *(unsigned long long *)adds = info->dlpi_adds;
  return 1;
}

static int add_target_names(const struct xtables_target *list, size_t *capacity) {
  for (; list; list = list->next) {
    if (list->family != (family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4) &&
        list->family != NFPROTO_UNSPEC)
      continue;
    if (target_names.count == *capacity) {
      size_t grown = *capacity ? *capacity * 2 : 256;
      const char **names = realloc(target_names.names, grown * sizeof *names);
      if (!names) return 0;
      target_names.names = names;
      *capacity = grown;
    }
    target_names.names[target_names.count++] = list->name;
  }
  return 1;
}

/* 1 when `name` is in libxtables' lists for this family (or the index
 * cannot be had). */
static int target_registered(const char *name) {
  unsigned long long adds = 0;
  size_t capacity = 0;
  dl_iterate_phdr(on_object, &adds);
  if (!target_names.usable || adds != target_names.built_at_adds) {
    free(target_names.names);
    memset(&target_names, 0, sizeof target_names);
    target_names.built_at_adds = adds;
    if (!add_target_names(xtables_pending_targets, &capacity) ||
        !add_target_names(xtables_targets, &capacity))
      return 1;
    /* qsort and bsearch take no null array, even empty: none loaded yet. */
    if (target_names.count > 0)
      qsort(target_names.names, target_names.count, sizeof *target_names.names, compare_names);
    target_names.usable = 1;
  }
  return target_names.count > 0 && bsearch(&name, target_names.names, target_names.count,
                                           sizeof *target_names.names, compare_names) != NULL;
}

unsigned long long aim_nft_extension_epoch(void) {
  static unsigned long long epoch, seen_adds, seen_listings;
  unsigned long long adds = 0;
  refresh_extension_files();
  dl_iterate_phdr(on_object, &adds);
  if (adds != seen_adds || extension_listings != seen_listings) {
    ++epoch;
    seen_adds = adds;
    seen_listings = extension_listings;
  }
  return epoch;
}

int aim_nft_names_target(const char *name) {
  /* libxtables maps ACCEPT, DROP, QUEUE and RETURN to its standard target;
   * no extension has a slash in its name (nor is one loaded by such a path). */
  if (strchr(name, '/')) return 0;
  /* Without a file to load, libxtables can only know the name from an
   * extension already loaded (one file may register several names): ask
   * its lists alone. The standard verdicts are names of no file. */
  if (name[0] && strcmp(name, "ACCEPT") && strcmp(name, "DROP") && strcmp(name, "QUEUE") &&
      strcmp(name, "RETURN") && !extension_file_may_exist(name))
    return target_registered(name) && xtables_find_target(name, XTF_DONT_LOAD) != NULL;
  return xtables_find_target(name, XTF_TRY_LOAD) != NULL;
}
