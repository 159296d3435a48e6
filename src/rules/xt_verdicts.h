/* A memo of round-trip verdicts (xt_roundtrip.c), keyed by every byte a
 * verdict depends on, handed over as pieces so that a look-up builds and
 * copies nothing.
 *
 * A key is kept only from its second sighting on. kube-proxy gives nearly
 * every rule its own comment, so most keys are seen once: keeping each of
 * them cost a third of a 10,000-service read (allocating, hashing, copying
 * and the page faults of a heap that only grows) and ~50 MB, and bought
 * nothing. A first sighting leaves a 64-bit fingerprint, which only decides
 * whether the next sighting is kept: a verdict is only ever answered from a
 * kept key compared byte for byte, so a fingerprint collision costs a
 * check, never a wrong answer.
 *
 * One thread (libxtables' state is global anyway). Bounded: the kept nft
 * helper lives long, and a memo that starts afresh only costs time. */
#ifndef AIM_XT_VERDICTS_H
#define AIM_XT_VERDICTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { AIM_XT_KEY_PIECES = 3 };

struct aim_xt_key {
  struct {
    const void *data;
    size_t len;
  } piece[AIM_XT_KEY_PIECES];
  uint64_t hash; /* set by aim_xt_key_hash */
};

void aim_xt_key_hash(struct aim_xt_key *key);

/* 1 or 0 for a known verdict (with 0, *reason is its reason, valid until the
 * memo next changes), -1 when the key is not kept. */
int aim_xt_verdict_find(const struct aim_xt_key *key, const char **reason);

/* Records the verdict just proven for key (not kept: see above). */
void aim_xt_verdict_note(const struct aim_xt_key *key, int exact, const char *reason);

/* Forgets everything (tests; memory bounds). */
void aim_xt_verdicts_clear(void);

#ifdef __cplusplus
}
#endif

#endif
