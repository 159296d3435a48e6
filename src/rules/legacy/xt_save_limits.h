/* Fields of an extension's data that libxtables' save() functions use as an
 * index without a bound. The kernel's checks let such values through, so a
 * rule holding one would make save() read outside its name table (and crash
 * the reader); it must be refused before save() is called. */
#ifndef AIM_RULES_XT_SAVE_LIMITS_H
#define AIM_RULES_XT_SAVE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Nonzero if libxtables' save() of this match (is_target 0) or target
 * (is_target 1) of family 4 or 6 stays inside its tables for `data`; zero
 * with the reason in err otherwise. */
int aim_xt_save_safe(int family, int is_target, const char *name, const void *data, size_t len,
                     char *err, size_t errlen);

/* The tcp flag bits libxt_tcp can name (FIN..URG): its save() walks its name
 * table for every set bit of the mask and of the compared value. */
enum { AIM_XT_TCP_NAMED_FLAGS = 0x3f };

#ifdef __cplusplus
}
#endif

#endif
