#define _GNU_SOURCE
#include "verdict-cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bw_verdict_entry {
  struct bw_file_stamp stamp;
  char *path; /* NULL = free slot */
  size_t path_len;
  uint32_t flags;
  int32_t next;
};

void bw_stamp_of(const struct stat *st, struct bw_file_stamp *out) {
  out->dev = (uint64_t)st->st_dev;
  out->ino = (uint64_t)st->st_ino;
  out->size = (uint64_t)st->st_size;
  out->mtime_sec = (int64_t)st->st_mtim.tv_sec;
  out->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
  out->ctime_sec = (int64_t)st->st_ctim.tv_sec;
  out->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
}

static uint32_t bucket_of(const struct bw_verdict_cache *c, const struct bw_file_stamp *s) {
  uint64_t h = s->ino * 0x9e3779b97f4a7c15ULL ^ (s->dev + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;
  return (uint32_t)(h ^ (h >> 29)) & c->bucket_mask;
}

static int same_stamp(const struct bw_file_stamp *a, const struct bw_file_stamp *b) {
  return a->size == b->size && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
         a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

static int same_file(const struct bw_verdict_entry *e, const struct bw_file_stamp *s, const char *path, size_t len) {
  return e->stamp.ino == s->ino && e->stamp.dev == s->dev && e->path_len == len && memcmp(e->path, path, len) == 0;
}

int bw_verdict_cache_init(struct bw_verdict_cache *c, uint32_t capacity) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->lock, NULL);
  if (capacity == 0) return 0;
  uint32_t nb = 1;
  while (nb < capacity * 2u && nb < (1u << 30)) nb <<= 1;
  c->entries = calloc(capacity, sizeof *c->entries);
  c->buckets = malloc((size_t)nb * sizeof *c->buckets);
  if (!c->entries || !c->buckets) {
    free(c->entries);
    free(c->buckets);
    c->entries = NULL;
    c->buckets = NULL;
    return -ENOMEM;
  }
  memset(c->buckets, 0xff, (size_t)nb * sizeof *c->buckets);
  c->capacity = capacity;
  c->bucket_mask = nb - 1;
  c->stats.capacity = capacity;
  return 0;
}

/* Unlinks entry i from its chain and frees its slot (lock held). */
static void drop(struct bw_verdict_cache *c, int32_t i) {
  struct bw_verdict_entry *e = &c->entries[i];
  int32_t *link = &c->buckets[bucket_of(c, &e->stamp)];
  while (*link != -1 && *link != i) link = &c->entries[*link].next;
  if (*link == i) *link = e->next;
  free(e->path);
  e->path = NULL;
  c->stats.entries--;
}

static int32_t find(struct bw_verdict_cache *c, const struct bw_file_stamp *s, const char *path, size_t len) {
  for (int32_t i = c->buckets[bucket_of(c, s)]; i != -1; i = c->entries[i].next)
    if (same_file(&c->entries[i], s, path, len)) return i;
  return -1;
}

int bw_verdict_cache_put(struct bw_verdict_cache *c, const struct bw_file_stamp *s, const char *path, size_t path_len,
                         uint32_t flags) {
  if (c->capacity == 0) return -ENOSPC;
  char *copy = malloc(path_len ? path_len : 1);
  if (!copy) return -ENOMEM;
  memcpy(copy, path, path_len);
  pthread_mutex_lock(&c->lock);
  int32_t old = find(c, s, path, path_len);
  if (old != -1) drop(c, old);
  int32_t i = (int32_t)c->next_slot;
  c->next_slot = (c->next_slot + 1) % c->capacity;
  if (c->entries[i].path != NULL) {
    drop(c, i);
    c->stats.evicted++;
  }
  struct bw_verdict_entry *e = &c->entries[i];
  e->stamp = *s;
  e->path = copy;
  e->path_len = path_len;
  e->flags = flags;
  uint32_t b = bucket_of(c, s);
  e->next = c->buckets[b];
  c->buckets[b] = i;
  c->stats.entries++;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

int bw_verdict_cache_get(struct bw_verdict_cache *c, const struct bw_file_stamp *s, const char *path, size_t path_len,
                         uint32_t *flags) {
  if (c->capacity == 0) return 0;
  pthread_mutex_lock(&c->lock);
  int hit = 0;
  int32_t i = find(c, s, path, path_len);
  if (i != -1 && same_stamp(&c->entries[i].stamp, s)) {
    *flags = c->entries[i].flags;
    hit = 1;
    c->stats.hits++;
  } else {
    if (i != -1) {
      /* The file changed since it was judged: its verdict is void. */
      drop(c, i);
      c->stats.stale++;
    }
    c->stats.misses++;
  }
  pthread_mutex_unlock(&c->lock);
  return hit;
}

void bw_verdict_cache_clear(struct bw_verdict_cache *c) {
  if (c->capacity == 0) return;
  pthread_mutex_lock(&c->lock);
  for (uint32_t i = 0; i < c->capacity; i++) {
    free(c->entries[i].path);
    c->entries[i].path = NULL;
  }
  memset(c->buckets, 0xff, ((size_t)c->bucket_mask + 1) * sizeof *c->buckets);
  c->stats.entries = 0;
  c->next_slot = 0;
  pthread_mutex_unlock(&c->lock);
}

struct bw_verdict_cache_stats bw_verdict_cache_stats(struct bw_verdict_cache *c) {
  pthread_mutex_lock(&c->lock);
  struct bw_verdict_cache_stats s = c->stats;
  pthread_mutex_unlock(&c->lock);
  return s;
}

void bw_verdict_cache_free(struct bw_verdict_cache *c) {
  bw_verdict_cache_clear(c);
  free(c->entries);
  free(c->buckets);
  c->entries = NULL;
  c->buckets = NULL;
  c->capacity = 0;
  pthread_mutex_destroy(&c->lock);
}
