/* See xt_roundtrip.h. The facts about iptables 1.8.9 followed here (how a
 * restore line is split, which option table getopt sees, how an extension is
 * set up before its options are parsed and checked after them, how the head
 * of a rule is built) are those of iptables/xshared.c and iptables.c. */
#define _GNU_SOURCE
#include "rules/legacy/xt_roundtrip.h"

#include <ctype.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* xtables.h (net/if.h) before the kernel headers (linux/if.h). */
/* clang-format off */
#include <xtables.h>
/* clang-format on */

#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

/* ---- capturing what save() prints ---- */

/* One stream for every capture, rewound each time: a rule table can hold
 * hundreds of thousands of extensions, and a stream per capture (or a flush
 * of the real stdout per capture) costs more than rendering them. Swapping
 * the FILE pointer leaves what the real stdout buffered in place and in
 * order, because the captured text is written to it after. */
static FILE *capture_stream;
static char *capture_text;
static size_t capture_len;

int aim_xt_capture_begin(struct aim_xt_capture *c) {
  memset(c, 0, sizeof *c);
  if (!capture_stream) {
    capture_stream = open_memstream(&capture_text, &capture_len);
    if (!capture_stream) return -1;
  }
  if (fseeko(capture_stream, 0, SEEK_SET) != 0) return -1;
  c->stream = capture_stream;
  c->saved = stdout;
  stdout = capture_stream;
  return 0;
}

const char *aim_xt_capture_end(struct aim_xt_capture *c) {
  int failed;
  if (!c->stream) return NULL;
  /* The NUL is written, not assumed: after a rewind the stream's own
   * terminator may lie beyond a shorter text. */
  failed = fputc('\0', c->stream) == EOF || fflush(c->stream) != 0 || ferror(c->stream);
  stdout = c->saved;
  c->stream = NULL;
  if (failed || capture_len == 0) return NULL;
  c->text = capture_text;
  c->len = capture_len - 1;
  return c->text;
}

void aim_xt_capture_free(struct aim_xt_capture *c) {
  if (c->stream) aim_xt_capture_end(c);
  c->text = NULL; /* the buffer is the shared stream's */
}

/* ---- libxtables' fatal errors during a check ---- */

/* libxtables reports a parse error through exit_err, which must not return.
 * While a check runs, the error is its answer: jump back to it. Anything an
 * aborted parser allocated is leaked (a refused rule stops its table's
 * rendering); its global state is the extension's, which the check
 * restores. */
static jmp_buf *active_check;
static char fatal_message[512];

void aim_xt_roundtrip_trap(const char *message) {
  jmp_buf *target = active_check;
  if (!target) return;
  active_check = NULL;
  snprintf(fatal_message, sizeof fatal_message, "%s", message);
  longjmp(*target, 1);
}

/* ---- splitting a line as iptables-restore does ---- */

/* iptables-restore's per-parameter buffer holds 1023 characters. */
enum { RESTORE_PARAM_MAX = 1023 };

/* The arguments are written into args->text, which never needs more room
 * than the text itself: each parameter takes at least its own length plus
 * a separator, quote or the end of the text, and gives back its length plus
 * a NUL. Nothing is allocated once the buffers have grown to a rule's size. */
static int reserve(struct aim_xt_args *args, size_t text_len) {
  if (args->text_cap < text_len + 1) {
    char *grown = realloc(args->text, text_len + 1);
    if (!grown) return -1;
    args->text = grown;
    args->text_cap = text_len + 1;
  }
  if (!args->argv) {
    args->argv = malloc(sizeof *args->argv * 16);
    if (!args->argv) return -1;
    args->argv_cap = 16;
  }
  return 0;
}

static int push_arg(struct aim_xt_args *args, char *arg) {
  if ((size_t)args->argc + 2 > args->argv_cap) {
    char **grown = realloc(args->argv, sizeof *grown * args->argv_cap * 2);
    if (!grown) return -1;
    args->argv = grown;
    args->argv_cap *= 2;
  }
  args->argv[args->argc++] = arg;
  args->argv[args->argc] = NULL;
  return 0;
}

int aim_xt_split_args(const char *text, struct aim_xt_args *args) {
  size_t len = 0;
  int in_quotes = 0, escaped = 0;
  const char *p;
  char *out, *param;

  args->argc = 0;
  if (reserve(args, strlen(text)) < 0) return -1;
  args->argv[0] = NULL; /* an empty text gives an empty argv */
  out = param = args->text;
  for (p = text; *p; ++p) {
    int ends_param = 0;
    if (in_quotes) {
      /* Inside quotes a backslash takes the next character as it is, and
       * the closing quote ends the parameter (even an empty one). */
      if (escaped) {
        escaped = 0;
      } else if (*p == '\\') {
        escaped = 1;
        continue;
      } else if (*p == '"') {
        in_quotes = 0;
        ends_param = 1;
      }
    } else if (*p == '"') {
      in_quotes = 1;
      continue;
    } else if (*p == ' ' || *p == '\t' || *p == '\n') {
      if (len == 0) continue;
      ends_param = 1;
    }
    if (!ends_param) {
      *out++ = *p;
      if (++len > RESTORE_PARAM_MAX) return -1; /* "Parameter too long!" */
      continue;
    }
    *out++ = '\0';
    if (push_arg(args, param) < 0) return -1;
    param = out;
    len = 0;
  }
  if (len) {
    *out = '\0';
    if (push_arg(args, param) < 0) return -1;
  }
  return args->argc;
}

void aim_xt_args_free(struct aim_xt_args *args) {
  free(args->argv);
  free(args->text);
  memset(args, 0, sizeof *args);
}

/* The check's own arguments, reused (one check at a time). */
static struct aim_xt_args check_args;

/* ---- the option table iptables parses a rule with ---- */

/* libxtables' option merging steps each extension's offset by this much
 * (OPTION_OFFSET_SCALE in iptables' own, uninstalled, xshared.h). */
enum { OPTION_OFFSET_SCALE = 256 };

/* iptables' own options come first in every merged table and win over an
 * extension's option of the same name (iptables.c, original_opts). */
static struct option base_options[] = {
    {"append", 1, NULL, 'A'},        {"delete", 1, NULL, 'D'},
    {"check", 1, NULL, 'C'},         {"insert", 1, NULL, 'I'},
    {"replace", 1, NULL, 'R'},       {"list", 2, NULL, 'L'},
    {"list-rules", 2, NULL, 'S'},    {"flush", 2, NULL, 'F'},
    {"zero", 2, NULL, 'Z'},          {"new-chain", 1, NULL, 'N'},
    {"delete-chain", 2, NULL, 'X'},  {"rename-chain", 1, NULL, 'E'},
    {"policy", 1, NULL, 'P'},        {"source", 1, NULL, 's'},
    {"destination", 1, NULL, 'd'},   {"src", 1, NULL, 's'},
    {"dst", 1, NULL, 'd'},           {"protocol", 1, NULL, 'p'},
    {"in-interface", 1, NULL, 'i'},  {"jump", 1, NULL, 'j'},
    {"table", 1, NULL, 't'},         {"match", 1, NULL, 'm'},
    {"numeric", 0, NULL, 'n'},       {"out-interface", 1, NULL, 'o'},
    {"verbose", 0, NULL, 'v'},       {"wait", 2, NULL, 'w'},
    {"wait-interval", 2, NULL, 'W'}, {"exact", 0, NULL, 'x'},
    {"fragments", 0, NULL, 'f'},     {"version", 0, NULL, 'V'},
    {"help", 2, NULL, 'h'},          {"line-numbers", 0, NULL, '0'},
    {"modprobe", 1, NULL, 'M'},      {"set-counters", 1, NULL, 'c'},
    {"goto", 1, NULL, 'g'},          {"ipv4", 0, NULL, '4'},
    {"ipv6", 0, NULL, '6'},          {NULL, 0, NULL, 0},
};

/* iptables' getopt string (IPT_OPTSTRING): a short option printed by an
 * extension is one of iptables' own. */
static const char base_optstring[] =
    "-:A:C:D:R:I:L::S::M:F::Z::N:X::E:P:Vh::o:p:s:d:j:i:fbvw::W::nt:m:xc:g:46";

/* An extension as the checks parse it, set up once: the merged option
 * table (xtables_options_xfrm allocates, and would move the global option
 * offset on every call) and the entry and private data its parser fills,
 * zeroed before each check instead of allocated for it. */
struct prepared {
  const void *extension;
  struct option *options;
  unsigned int offset;
  void *entry, *udata;
  size_t entry_size, udata_size;
  struct prepared *next;
};
static struct prepared *prepared_extensions;

static struct prepared *prepare(const void *extension, const struct xt_option_entry *x6,
                                const struct option *extra) {
  struct prepared *p;
  for (p = prepared_extensions; p; p = p->next)
    if (p->extension == extension) return p;
  p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->extension = extension;
  if (x6)
    p->options = xtables_options_xfrm(base_options, NULL, x6, &p->offset);
  else if (extra)
    p->options = xtables_merge_options(base_options, NULL, extra, &p->offset);
  else
    p->options = base_options; /* no options: any option is iptables' own */
  if (!p->options) {
    free(p);
    return NULL;
  }
  if (!x6 && !extra) p->offset = UINT32_MAX - OPTION_OFFSET_SCALE;
  p->next = prepared_extensions;
  prepared_extensions = p;
  return p;
}

/* A zeroed buffer of n bytes, kept in *buf for the next check. */
static void *zeroed(void **buf, size_t *size, size_t n) {
  if (!*buf || *size != n) {
    free(*buf);
    *size = 0;
    *buf = malloc(n ? n : 1);
    if (!*buf) return NULL;
    *size = n;
  }
  memset(*buf, 0, n);
  return *buf;
}

/* ---- one extension's round trip ---- */

/* What getopt and the parsers see of the rule: iptables has parsed the
 * protocol (and its negation) before any extension option, nothing else of
 * the head that an extension parser reads. */
union parse_entry {
  struct ipt_entry v4;
  struct ip6t_entry v6;
};

static void parse_entry_from(int family, const void *ip, union parse_entry *e) {
  memset(e, 0, sizeof *e);
  if (family == 6) {
    const struct ip6t_ip6 *k = ip;
    e->v6.ipv6.proto = k->proto;
    e->v6.ipv6.invflags = k->invflags & XT_INV_PROTO;
    e->v6.ipv6.flags = k->flags & IP6T_F_PROTO;
  } else {
    const struct ipt_ip *k = ip;
    e->v4.ip.proto = k->proto;
    e->v4.ip.invflags = k->invflags & XT_INV_PROTO;
  }
}

/* An extension as iptables sets it up for one rule: its entry, flags and
 * private data, which the check borrows and gives back. */
struct borrowed {
  int is_target;
  struct xtables_match *match;
  struct xtables_target *target;
  struct prepared *prepared;
  void *saved_entry, *saved_udata;
  unsigned int saved_flags, saved_offset;
  int borrowed;
};

/* A parser may have replaced the entry it was given (old-style parsers get
 * a pointer to it): then the prepared buffer is no longer ours to reuse. */
static void release_borrowed(struct prepared *p, void *entry, void *udata) {
  if (entry != p->entry) {
    free(entry);
    p->entry = NULL;
    p->entry_size = 0;
  }
  if (udata != p->udata) {
    free(udata);
    p->udata = NULL;
    p->udata_size = 0;
  }
}

static void give_back(struct borrowed *b) {
  if (!b->borrowed) return;
  if (b->is_target) {
    release_borrowed(b->prepared, b->target->t, b->target->udata);
    b->target->t = b->saved_entry;
    b->target->udata = b->saved_udata;
    b->target->tflags = b->saved_flags;
    b->target->option_offset = b->saved_offset;
  } else {
    release_borrowed(b->prepared, b->match->m, b->match->udata);
    b->match->m = b->saved_entry;
    b->match->udata = b->saved_udata;
    b->match->mflags = b->saved_flags;
    b->match->option_offset = b->saved_offset;
  }
  b->borrowed = 0;
}

struct check {
  int family, is_target;
  const void *ip;
  const void *kernel; /* xt_entry_match or xt_entry_target */
  char **argv;        /* as split: "-m"/"-j", NAME, options... */
  int argc;
  struct borrowed ext;
  char *err;
  size_t errlen;
};

static int fail(struct check *c, const char *fmt, const char *a, const char *b) {
  snprintf(c->err, c->errlen, fmt, a, b);
  return 0;
}

/* Is argv[index] the whole name of `name` ("--name" or "--name=...")? getopt
 * would also take an abbreviation, which a longer table could make mean
 * another option: no printed text needs one, so it is refused. */
static int spelled_out(char **argv, int index, const char *name) {
  const char *token = argv[index];
  size_t n = strlen(name);
  return token && token[0] == '-' && token[1] == '-' && !strncmp(token + 2, name, n) &&
         (token[2 + n] == '\0' || token[2 + n] == '=');
}

static int parse_options(struct check *c, const struct prepared *table, void *fw) {
  /* getopt wants argv[0] to be the program and only names it in messages,
   * which are off: the extension's name stands in, the options follow. */
  char **argv = c->argv + 1;
  const int argc = c->argc - 1;
  bool invert = false;
  int code;
  optind = 0; /* full reinitialisation, as do_parse does */
  opterr = 0;
  for (;;) {
    int index = optind == 0 ? 1 : optind;
    int long_index = -1;
    code = getopt_long(argc, argv, base_optstring, table->options, &long_index);
    if (code == -1) break;
    if (code == 1) {
      if (strcmp(optarg, "!") != 0) return fail(c, "stray argument '%s'%s", optarg, "");
      if (invert) return fail(c, "two '!' in a row%s%s", "", "");
      invert = true;
      continue;
    }
    if (code == '?' || code == ':')
      return fail(c, "option '%s' is %s", argv[index] ? argv[index] : "",
                  code == ':' ? "missing its argument" : "unknown to the extension");
    if ((unsigned int)code < table->offset ||
        (unsigned int)code >= table->offset + OPTION_OFFSET_SCALE)
      return fail(c, "option '%s' would be taken by iptables itself%s", argv[index], "");
    if (long_index < 0 || !spelled_out(argv, index, table->options[long_index].name))
      return fail(c, "option '%s' is not spelled out%s", argv[index], "");
    if (c->ext.is_target)
      xtables_option_tpcall((unsigned int)code, argv, invert, c->ext.target, fw);
    else
      xtables_option_mpcall((unsigned int)code, argv, invert, c->ext.match, fw);
    invert = false;
  }
  if (invert) return fail(c, "a '!' with no option after it%s%s", "", "");
  return 1;
}

static void describe_difference(struct check *c, const unsigned char *built,
                                const unsigned char *kernel, size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n && built[i] == kernel[i]; ++i)
    ;
  snprintf(c->err, c->errlen,
           "its text builds different data for '%s' (byte %zu of %zu: kernel 0x%02x, text 0x%02x)",
           name, i, n, kernel[i], built[i]);
}

/* The name into a zeroed field, as snprintf would put it (a measurable part
 * of a check when done with snprintf). */
static void set_name(char *field, size_t size, const char *name) {
  memcpy(field, name, strnlen(name, size - 1));
}

/* The built data is compared whole, not only its first userspacesize bytes
 * (what iptables compares for -C/-D): iptables-restore writes all of it, a
 * field past userspacesize can still hold what the text does not say
 * (statistic's nth count, left over from another probability), and what
 * the kernel keeps to itself it hands out as zeros, as the parser leaves
 * it. */
static int check_match(struct check *c) {
  const struct xt_entry_match *k = c->kernel;
  const size_t header = XT_ALIGN(sizeof(struct xt_entry_match));
  struct xtables_match *m;
  struct prepared *p;
  union parse_entry fw;
  struct xt_entry_match *built;
  const char *real;

  if (c->argc < 2 || (strcmp(c->argv[0], "-m") && strcmp(c->argv[0], "--match")))
    return fail(c, "the match was not printed as -m NAME%s%s", "", "");
  m = xtables_find_match(c->argv[1], XTF_TRY_LOAD, NULL);
  if (!m) return fail(c, "iptables has no match '%s'%s", c->argv[1], "");
  real = m->real_name ? m->real_name : m->name;
  if (strncmp(real, k->u.user.name, sizeof k->u.user.name) != 0)
    return fail(c, "'-m %s' builds match '%s'", c->argv[1], real);
  if (m->revision != k->u.user.revision)
    return fail(c, "'-m %s' builds another revision of '%s'", c->argv[1], real);
  if (k->u.match_size != header + m->size)
    return fail(c, "match '%s' has another size than '-m %s' builds", real, c->argv[1]);
  p = prepare(m, m->x6_options, m->extra_opts);
  if (!p) return fail(c, "out of memory%s%s", "", "");

  /* As command_match and xs_init_match set the match up. */
  c->ext.is_target = 0;
  c->ext.match = m;
  c->ext.prepared = p;
  c->ext.saved_entry = m->m;
  c->ext.saved_udata = m->udata;
  c->ext.saved_flags = m->mflags;
  c->ext.saved_offset = m->option_offset;
  c->ext.borrowed = 1;
  m->m = zeroed(&p->entry, &p->entry_size, header + m->size);
  m->udata = m->udata_size ? zeroed(&p->udata, &p->udata_size, m->udata_size) : NULL;
  if (!m->m || (m->udata_size && !m->udata)) return fail(c, "out of memory%s%s", "", "");
  m->m->u.match_size = (uint16_t)(header + m->size);
  set_name(m->m->u.user.name, sizeof m->m->u.user.name, real);
  m->m->u.user.revision = m->revision;
  m->mflags = 0;
  m->option_offset = p->offset;
  if (m->init) m->init(m->m);

  parse_entry_from(c->family, c->ip, &fw);
  if (!parse_options(c, p, &fw)) return 0;
  xtables_option_mfcall(m);

  built = m->m;
  if (built->u.match_size != k->u.match_size)
    return fail(c, "its text builds a match '%s' of another size%s", real, "");
  if (memcmp(built->data, k->data, m->size) != 0) {
    describe_difference(c, built->data, k->data, m->size, real);
    return 0;
  }
  return 1;
}

static int check_target(struct check *c) {
  const struct xt_entry_target *k = c->kernel;
  const size_t header = XT_ALIGN(sizeof(struct xt_entry_target));
  struct xtables_target *t;
  struct prepared *p;
  union parse_entry fw;
  struct xt_entry_target *built;
  const char *real;

  if (c->argc < 2 || (strcmp(c->argv[0], "-j") && strcmp(c->argv[0], "--jump")))
    return fail(c, "the target was not printed as -j NAME%s%s", "", "");
  t = xtables_find_target(c->argv[1], XTF_TRY_LOAD);
  if (!t) return fail(c, "iptables has no target '%s'%s", c->argv[1], "");
  real = t->real_name ? t->real_name : t->name;
  if (strncmp(real, k->u.user.name, sizeof k->u.user.name) != 0)
    return fail(c, "'-j %s' builds target '%s'", c->argv[1], real);
  if (t->revision != k->u.user.revision)
    return fail(c, "'-j %s' builds another revision of '%s'", c->argv[1], real);
  if (k->u.target_size != header + t->size)
    return fail(c, "target '%s' has another size than '-j %s' builds", real, c->argv[1]);
  p = prepare(t, t->x6_options, t->extra_opts);
  if (!p) return fail(c, "out of memory%s%s", "", "");

  /* As command_jump and xs_init_target set the target up. */
  c->ext.is_target = 1;
  c->ext.target = t;
  c->ext.prepared = p;
  c->ext.saved_entry = t->t;
  c->ext.saved_udata = t->udata;
  c->ext.saved_flags = t->tflags;
  c->ext.saved_offset = t->option_offset;
  c->ext.borrowed = 1;
  t->t = zeroed(&p->entry, &p->entry_size, header + t->size);
  t->udata = t->udata_size ? zeroed(&p->udata, &p->udata_size, t->udata_size) : NULL;
  if (!t->t || (t->udata_size && !t->udata)) return fail(c, "out of memory%s%s", "", "");
  t->t->u.target_size = (uint16_t)(header + t->size);
  set_name(t->t->u.user.name, sizeof t->t->u.user.name, real);
  t->t->u.user.revision = t->revision;
  t->tflags = 0;
  t->option_offset = p->offset;
  if (t->init) t->init(t->t);

  parse_entry_from(c->family, c->ip, &fw);
  if (!parse_options(c, p, &fw)) return 0;
  xtables_option_tfcall(t);

  built = t->t;
  if (built->u.target_size != k->u.target_size)
    return fail(c, "its text builds a target '%s' of another size%s", real, "");
  if (memcmp(built->data, k->data, t->size) != 0) {
    describe_difference(c, built->data, k->data, t->size, real);
    return 0;
  }
  return 1;
}

/* Runs fn with libxtables' fatal errors caught, C stdout and stderr set
 * aside (a parser's chatter must not reach the rule stream). */
static int run_trapped(int (*fn)(void *), void *arg, char *err, size_t errlen) {
  static FILE *sink; /* one, rewound: what parsers print is dropped */
  static char *sink_text;
  static size_t sink_len;
  jmp_buf jump;
  FILE *saved_out = stdout, *saved_err = stderr;
  int result;

  if (!sink) sink = open_memstream(&sink_text, &sink_len);
  if (!sink || fseeko(sink, 0, SEEK_SET) != 0) {
    snprintf(err, errlen, "out of memory");
    return 0;
  }
  stdout = sink;
  stderr = sink;
  if (setjmp(jump) == 0) {
    active_check = &jump;
    result = fn(arg);
  } else {
    snprintf(err, errlen, "iptables would refuse its text: %s", fatal_message);
    result = 0;
  }
  active_check = NULL;
  stdout = saved_out;
  stderr = saved_err;
  return result;
}

static int run_extension_check(void *arg) {
  struct check *c = arg;
  return c->is_target ? check_target(c) : check_match(c);
}

/* Every extension is checked, every time: a memo of verdicts was measured
 * to cost more than the checks it saved (kube-proxy gives nearly every rule
 * its own comment, so keys rarely recur, and hashing, looking up and keeping
 * ~300-byte keys cost about three times the parses; a check is a getopt
 * pass over a few arguments into a buffer that is already there). */
static int extension_exact(int family, int is_target, const void *ip, const void *kernel,
                           const char *printed, char *err, size_t errlen) {
  struct check c;
  int exact;

  memset(&c, 0, sizeof c);
  c.family = family;
  c.is_target = is_target;
  c.ip = ip;
  c.kernel = kernel;
  c.err = err;
  c.errlen = errlen;
  c.argc = aim_xt_split_args(printed, &check_args);
  c.argv = check_args.argv;
  if (c.argc < 0) {
    snprintf(err, errlen, "iptables-restore could not read its text back (a parameter too long)");
    return 0;
  }
  exact = run_trapped(run_extension_check, &c, err, errlen);
  give_back(&c.ext);
  return exact;
}

void *aim_xt_scratch_copy(const void *entry, size_t size) {
  enum { kZeroTail = 8 };
  static unsigned char *scratch;
  static size_t capacity;
  if (size + kZeroTail > capacity) {
    unsigned char *grown = realloc(scratch, size + kZeroTail);
    if (!grown) return NULL;
    scratch = grown;
    capacity = size + kZeroTail;
  }
  memcpy(scratch, entry, size);
  memset(scratch + size, 0, kZeroTail);
  return scratch;
}

int aim_xt_match_exact(int family, const void *ip, const struct xt_entry_match *kernel,
                       const char *printed, char *err, size_t errlen) {
  return extension_exact(family, 0, ip, kernel, printed, err, errlen);
}

int aim_xt_target_exact(int family, const void *ip, const struct xt_entry_target *kernel,
                        const char *printed, char *err, size_t errlen) {
  return extension_exact(family, 1, ip, kernel, printed, err, errlen);
}

/* ---- the generic head ---- */

struct head_check {
  int family, is_goto;
  const void *ip;
  char **argv;
  int argc;
  char *err;
  size_t errlen;
};

static int head_fail(struct head_check *h, const char *fmt, const char *a) {
  snprintf(h->err, h->errlen, fmt, a);
  return 0;
}

/* Builds the head from its text as iptables' do_parse and post_parse build
 * cs->fw: the same libxtables parsers, the same flags. */
static int build_head(struct head_check *h, struct ipt_ip *v4, struct ip6t_ip6 *v6) {
  int i, invert = 0;
  uint8_t *invflags = h->family == 6 ? &v6->invflags : &v4->invflags;
  uint8_t *flags = h->family == 6 ? &v6->flags : &v4->flags;
  for (i = 0; i < h->argc; ++i) {
    const char *opt = h->argv[i];
    char *arg = i + 1 < h->argc ? h->argv[i + 1] : NULL;
    uint8_t inv = 0;
    if (!strcmp(opt, "!")) {
      if (invert) return head_fail(h, "two '!' in a row%s", "");
      invert = 1;
      continue;
    }
    if (!strcmp(opt, "-f") && h->family == 4) {
      *flags |= IPT_F_FRAG;
      if (invert) *invflags |= IPT_INV_FRAG;
      invert = 0;
      continue;
    }
    if (!arg) return head_fail(h, "'%s' without its argument", opt);
    ++i;
    if (!strcmp(opt, "-s") || !strcmp(opt, "-d")) {
      const int src = opt[1] == 's';
      unsigned int n = 0;
      if (h->family == 6) {
        struct in6_addr *addrs = NULL, *masks = NULL;
        xtables_ip6parse_multiple(arg, &addrs, &masks, &n);
        if (n == 1) {
          *(src ? &v6->src : &v6->dst) = addrs[0];
          *(src ? &v6->smsk : &v6->dmsk) = masks[0];
        }
        free(addrs);
        free(masks);
      } else {
        struct in_addr *addrs = NULL, *masks = NULL;
        xtables_ipparse_multiple(arg, &addrs, &masks, &n);
        if (n == 1) {
          *(src ? &v4->src : &v4->dst) = addrs[0];
          *(src ? &v4->smsk : &v4->dmsk) = masks[0];
        }
        free(addrs);
        free(masks);
      }
      if (n != 1) return head_fail(h, "'%s' names more than one address", arg);
      inv = src ? IPT_INV_SRCIP : IPT_INV_DSTIP;
    } else if (!strcmp(opt, "-i") || !strcmp(opt, "-o")) {
      const int in = opt[1] == 'i';
      char *name =
          h->family == 6 ? (in ? v6->iniface : v6->outiface) : (in ? v4->iniface : v4->outiface);
      unsigned char *mask = h->family == 6 ? (in ? v6->iniface_mask : v6->outiface_mask)
                                           : (in ? v4->iniface_mask : v4->outiface_mask);
      if (!arg[0]) return head_fail(h, "an empty interface name%s", "");
      xtables_parse_interface(arg, name, mask);
      inv = in ? IPT_INV_VIA_IN : IPT_INV_VIA_OUT;
    } else if (!strcmp(opt, "-p")) {
      char *q;
      uint16_t proto;
      for (q = arg; *q; ++q) *q = (char)tolower((unsigned char)*q);
      proto = xtables_parse_protocol(arg);
      if (proto == 0 && invert) return head_fail(h, "'! -p %s' would never match", arg);
      if (h->family == 6) {
        v6->proto = proto;
        *flags |= IP6T_F_PROTO;
      } else {
        v4->proto = proto;
      }
      inv = XT_INV_PROTO;
    } else {
      return head_fail(h, "'%s' is not an option iptables can read back here", opt);
    }
    if (invert) *invflags |= inv;
    invert = 0;
  }
  if (invert) return head_fail(h, "a '!' with no option after it%s", "");
  if (h->is_goto) *flags |= h->family == 6 ? IP6T_F_GOTO : IPT_F_GOTO;
  return 1;
}

static const char *head_field(int family, size_t offset) {
  if (family == 6) {
    if (offset < offsetof(struct ip6t_ip6, iniface)) return "address or mask";
    if (offset < offsetof(struct ip6t_ip6, proto)) return "interface or interface mask";
    if (offset < offsetof(struct ip6t_ip6, tos)) return "protocol";
    if (offset < offsetof(struct ip6t_ip6, flags)) return "tos";
    if (offset < offsetof(struct ip6t_ip6, invflags)) return "flags";
    if (offset < offsetof(struct ip6t_ip6, invflags) + 1) return "negation flags";
    return "padding";
  }
  if (offset < offsetof(struct ipt_ip, iniface)) return "address or mask";
  if (offset < offsetof(struct ipt_ip, proto)) return "interface or interface mask";
  if (offset < offsetof(struct ipt_ip, flags)) return "protocol";
  if (offset < offsetof(struct ipt_ip, invflags)) return "flags";
  return "negation flags";
}

static int run_head_check(void *arg) {
  struct head_check *h = arg;
  struct ipt_ip v4;
  struct ip6t_ip6 v6;
  const unsigned char *built = h->family == 6 ? (const void *)&v6 : (const void *)&v4;
  const unsigned char *kernel = h->ip;
  size_t n = h->family == 6 ? sizeof v6 : sizeof v4, i;
  memset(&v4, 0, sizeof v4);
  memset(&v6, 0, sizeof v6);
  if (!build_head(h, &v4, &v6)) return 0;
  for (i = 0; i < n && built[i] == kernel[i]; ++i)
    ;
  if (i == n) return 1;
  snprintf(h->err, h->errlen,
           "its text builds another %s (byte %zu of the rule's header: kernel 0x%02x, text 0x%02x)",
           head_field(h->family, i), i, kernel[i], built[i]);
  return 0;
}

int aim_xt_head_exact(int family, const void *ip, const char *printed, int is_goto, char *err,
                      size_t errlen) {
  struct head_check h;
  memset(&h, 0, sizeof h);
  h.family = family;
  h.is_goto = is_goto;
  h.ip = ip;
  h.err = err;
  h.errlen = errlen;
  h.argc = aim_xt_split_args(printed, &check_args);
  h.argv = check_args.argv;
  if (h.argc < 0) {
    snprintf(err, errlen, "iptables-restore could not read its header back");
    return 0;
  }
  return run_trapped(run_head_check, &h, err, errlen);
}
