/* See xt_verdicts.h. */
#include "rules/xt_verdicts.h"

#include <stdlib.h>
#include <string.h>

/* ---- hashing ---- */

/* Word at a time: the keys are kernel blobs of a few hundred bytes, and a
 * byte-at-a-time hash of them was a visible part of a whole read. Any
 * decent spread will do: equality is always decided by comparing bytes. */
static uint64_t mix(uint64_t h, uint64_t word) {
  h ^= word;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 31);
}

static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n) {
  uint64_t word;
  h = mix(h, n);
  for (; n >= 8; p += 8, n -= 8) {
    memcpy(&word, p, 8);
    h = mix(h, word);
  }
  if (n) {
    word = 0;
    memcpy(&word, p, n);
    h = mix(h, word);
  }
  return h;
}

void aim_xt_key_hash(struct aim_xt_key *key) {
  uint64_t h = 0x6a09e667f3bcc908ull;
  int i;
  for (i = 0; i < AIM_XT_KEY_PIECES; ++i) h = hash_bytes(h, key->piece[i].data, key->piece[i].len);
  h = mix(h, h >> 29);
  key->hash = h ? h : 1; /* 0 marks an empty fingerprint slot */
}

static size_t key_length(const struct aim_xt_key *key) {
  size_t n = 0;
  int i;
  for (i = 0; i < AIM_XT_KEY_PIECES; ++i) n += key->piece[i].len;
  return n;
}

/* ---- kept verdicts ---- */

struct verdict {
  uint64_t hash;
  unsigned char *key; /* the pieces, one after the other; NULL: empty slot */
  size_t len[AIM_XT_KEY_PIECES];
  int exact;
  char *reason;
};

static struct verdict *verdicts;
static size_t verdict_slots, verdict_count;

/* ---- fingerprints of keys seen once ---- */

static uint64_t *seen;
static size_t seen_slots, seen_count;

enum { VERDICT_LIMIT = 1 << 17, SEEN_LIMIT = 1 << 20 };

static void verdicts_drop(void) {
  size_t i;
  for (i = 0; i < verdict_slots; ++i) {
    free(verdicts[i].key);
    free(verdicts[i].reason);
  }
  free(verdicts);
  verdicts = NULL;
  verdict_slots = verdict_count = 0;
}

static void seen_drop(void) {
  free(seen);
  seen = NULL;
  seen_slots = seen_count = 0;
}

void aim_xt_verdicts_clear(void) {
  verdicts_drop();
  seen_drop();
}

static int same_key(const struct verdict *v, const struct aim_xt_key *key) {
  const unsigned char *p = v->key;
  int i;
  if (v->hash != key->hash) return 0;
  for (i = 0; i < AIM_XT_KEY_PIECES; ++i) {
    if (v->len[i] != key->piece[i].len || memcmp(p, key->piece[i].data, v->len[i]) != 0) return 0;
    p += v->len[i];
  }
  return 1;
}

/* The slot holding key, or the empty slot where it belongs. */
static struct verdict *verdict_slot(const struct aim_xt_key *key) {
  size_t i;
  for (i = key->hash & (verdict_slots - 1);; i = (i + 1) & (verdict_slots - 1))
    if (!verdicts[i].key || same_key(&verdicts[i], key)) return &verdicts[i];
}

int aim_xt_verdict_find(const struct aim_xt_key *key, const char **reason) {
  const struct verdict *v;
  if (!verdict_count) return -1;
  v = verdict_slot(key);
  if (!v->key) return -1;
  *reason = v->reason ? v->reason : "";
  return v->exact;
}

static int verdicts_grow(void) {
  size_t slots = verdict_slots ? verdict_slots * 2 : 1024, i;
  struct verdict *old = verdicts, *grown = calloc(slots, sizeof *grown);
  const size_t old_slots = verdict_slots;
  if (!grown) return -1;
  verdicts = grown;
  verdict_slots = slots;
  for (i = 0; i < old_slots; ++i) {
    size_t j;
    if (!old[i].key) continue;
    for (j = old[i].hash & (slots - 1); grown[j].key; j = (j + 1) & (slots - 1))
      ;
    grown[j] = old[i];
  }
  free(old);
  return 0;
}

static void verdict_keep(const struct aim_xt_key *key, int exact, const char *reason) {
  struct verdict *v;
  unsigned char *copy, *p;
  int i;
  if (verdict_count >= VERDICT_LIMIT) verdicts_drop();
  if ((verdict_count + 1) * 2 > verdict_slots && verdicts_grow() < 0) return;
  v = verdict_slot(key);
  if (v->key) return; /* already kept */
  copy = malloc(key_length(key) + 1);
  if (!copy) return;
  for (p = copy, i = 0; i < AIM_XT_KEY_PIECES; ++i) {
    memcpy(p, key->piece[i].data, key->piece[i].len);
    p += key->piece[i].len;
    v->len[i] = key->piece[i].len;
  }
  v->hash = key->hash;
  v->key = copy;
  v->exact = exact;
  v->reason = exact ? NULL : strdup(reason);
  ++verdict_count;
}

/* Adds the fingerprint; returns 1 if it was there already. */
static int seen_before(uint64_t hash) {
  size_t i;
  if (seen_count >= SEEN_LIMIT) seen_drop();
  if ((seen_count + 1) * 2 > seen_slots) {
    size_t slots = seen_slots ? seen_slots * 2 : 4096, j;
    uint64_t *grown = calloc(slots, sizeof *grown);
    if (!grown) return 1; /* cannot remember: keep the verdict instead */
    for (j = 0; j < seen_slots; ++j) {
      size_t k;
      if (!seen[j]) continue;
      for (k = seen[j] & (slots - 1); grown[k]; k = (k + 1) & (slots - 1))
        ;
      grown[k] = seen[j];
    }
    free(seen);
    seen = grown;
    seen_slots = slots;
  }
  for (i = hash & (seen_slots - 1); seen[i]; i = (i + 1) & (seen_slots - 1))
    if (seen[i] == hash) return 1;
  seen[i] = hash;
  ++seen_count;
  return 0;
}

void aim_xt_verdict_note(const struct aim_xt_key *key, int exact, const char *reason) {
  if (seen_before(key->hash)) verdict_keep(key, exact, reason);
}
