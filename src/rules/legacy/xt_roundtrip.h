/* Is the text libxtables printed for a rule the whole rule?
 *
 * An extension's save() may print less than its kernel data holds (an alias
 * that hides options, as CT revision 2 with only XT_CT_NOTRACK_ALIAS set
 * printing "-j NOTRACK"; a field no option writes), and the generic head may
 * hold bits no `iptables -S` text can express (an interface mask that is not
 * 0xff over the name, address bits outside the mask, unknown flags). Such a
 * rule's text would match an allowlist while the kernel does something else.
 *
 * The proof here is the one iptables-restore would give: the printed text is
 * split into arguments as iptables-restore splits a line, parsed with the
 * extension's own parser (the extension iptables would pick for the printed
 * name: aliases resolve as in iptables), finally checked, and the result is
 * compared with the kernel's bytes. Every printed extension is checked on
 * every read; the parse reuses what it can (option tables, entry buffers,
 * the argument storage), so a check costs about one getopt pass.
 *
 * Shared by the legacy shim and the nft shim (compat expressions). C, like
 * them, because the xtables and kernel uapi headers are not valid C++.
 */
#ifndef AIM_XT_ROUNDTRIP_H
#define AIM_XT_ROUNDTRIP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xt_entry_match;
struct xt_entry_target;

/* Text written to C stdout between begin and end is diverted into a buffer
 * (extension save() functions print to stdout). end restores stdout and
 * returns the text, valid until the next capture begins (NULL if the
 * capture failed). One capture at a time. */
struct aim_xt_capture {
  FILE *saved;
  FILE *stream;
  char *text;
  size_t len;
};
int aim_xt_capture_begin(struct aim_xt_capture *c);
const char *aim_xt_capture_end(struct aim_xt_capture *c);
void aim_xt_capture_free(struct aim_xt_capture *c);

/* Called first by the shims' libxtables fatal handler: while a check is
 * parsing, the error is that check's answer ("not exact") and this does not
 * return; otherwise it returns and the handler goes on as before. */
void aim_xt_roundtrip_trap(const char *message);

/* A copy of a match or target entry (`size` bytes) followed by zero bytes,
 * for save() to print: some save() functions write into the blob they print
 * (libxt_comment ends the comment with a NUL), and a string the kernel left
 * without its NUL then ends in the zeros. The exact checks below compare
 * with the untouched original. One buffer, reused: valid until the next
 * call, never freed by the caller. NULL when out of memory. */
void *aim_xt_scratch_copy(const void *entry, size_t size);

/* `ip` is the rule's struct ipt_ip (family 4) or struct ip6t_ip6 (6).
 * `printed` is exactly what was printed for the extension: " -m NAME ..." or
 * " -j NAME ...". Returns 1 when iptables would rebuild the kernel's data
 * from it, 0 with the reason in err when not. */
int aim_xt_match_exact(int family, const void *ip, const struct xt_entry_match *kernel,
                       const char *printed, char *err, size_t errlen);
int aim_xt_target_exact(int family, const void *ip, const struct xt_entry_target *kernel,
                        const char *printed, char *err, size_t errlen);

/* The generic part: `printed` is the head text (" -s ... -p tcp"), `is_goto`
 * whether the target was printed with -g. Returns 1 when iptables would
 * build the kernel's struct ipt_ip / ip6t_ip6 byte for byte from it, else 0
 * with the reason in err. */
int aim_xt_head_exact(int family, const void *ip, const char *printed, int is_goto, char *err,
                      size_t errlen);

/* Splits text into arguments as iptables-restore 1.8.9 splits a rule line
 * (double quotes, backslash escapes inside them). Returns the count, or -1
 * (a parameter too long for iptables-restore, or out of memory). args->argv
 * is NULL-terminated and points into args' own storage, which the next split
 * reuses; zero-initialise args before its first use and release it with
 * aim_xt_args_free. */
struct aim_xt_args {
  char **argv;
  int argc;
  size_t argv_cap;
  char *text;
  size_t text_cap;
};
int aim_xt_split_args(const char *text, struct aim_xt_args *args);
void aim_xt_args_free(struct aim_xt_args *args);

#ifdef __cplusplus
}
#endif

#endif
