/* Where the fields of one x_tables rule (struct ipt_entry / ip6t_entry) sit,
 * from the kernel's uapi headers: what fingerprinting a table's entries needs
 * to walk them and to leave their counters out. No I/O. C because the uapi
 * headers are not valid C++. */
#ifndef AIM_XT_LAYOUT_H
#define AIM_XT_LAYOUT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aim_xt_entry_layout {
  size_t header_size;    /* sizeof the entry header: the smallest next_offset */
  size_t next_offset_at; /* offset of the __u16 next_offset (host order) */
  size_t counters_at;    /* offset of struct xt_counters (packets, bytes) */
  size_t counters_size;
  size_t align;            /* every entry starts at a multiple of this */
  size_t target_offset_at; /* offset of the __u16 target_offset (host order) */
  /* A match's or the target's header (struct xt_entry_match and
   * xt_entry_target share it): its size, where its name sits and how long
   * the name field is. The kernel copies a name up to its NUL and leaves
   * the rest of the field as the reader's buffer had it. */
  size_t object_header_size;
  size_t object_name_at;
  size_t object_name_size;
};

/* The layout of family 4 (ipt_entry) or 6 (ip6t_entry). */
struct aim_xt_entry_layout aim_xt_entry_layout_of(int family);

#ifdef __cplusplus
}
#endif

#endif
