/*
 * Verdicts for files the caller has already judged, so that the fanotify thread can answer a
 * permission event itself, without a round trip to JS. An entry is keyed by the file's identity
 * as fstat of the event's descriptor gives it (device, inode, size, mtime, ctime) and by the path
 * the event resolved to (a caller's rules may depend on the path, and one inode may have several).
 * A file rewritten in place gets another size, mtime or ctime; one renamed over is another inode:
 * either way the lookup misses and the caller judges it again. The table holds at most
 * `capacity` entries; the oldest goes first.
 */
#ifndef BW_VERDICT_CACHE_H
#define BW_VERDICT_CACHE_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct bw_file_stamp {
  uint64_t dev, ino, size;
  int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

#define BW_VERDICT_ALLOW 1u
/* The caller wants to hear of each use (after the answer): reports, counters. */
#define BW_VERDICT_NOTIFY 2u

struct bw_verdict_cache_stats {
  uint64_t hits, misses, stale, evicted, entries, capacity;
};

struct bw_verdict_entry;
struct bw_verdict_cache {
  pthread_mutex_t lock;
  struct bw_verdict_entry *entries; /* ring: next_slot is the oldest when full */
  int32_t *buckets;                 /* heads of chains of entry indexes, -1 = empty */
  uint32_t capacity, bucket_mask, next_slot;
  struct bw_verdict_cache_stats stats;
};

void bw_stamp_of(const struct stat *st, struct bw_file_stamp *out);
/* capacity 0: the cache is off (lookups miss without counting). Returns 0 or -ENOMEM. */
int bw_verdict_cache_init(struct bw_verdict_cache *c, uint32_t capacity);
void bw_verdict_cache_free(struct bw_verdict_cache *c);
/* Adds or replaces the entry for (stamp's dev and inode, path). Returns 0 or -errno. */
int bw_verdict_cache_put(struct bw_verdict_cache *c, const struct bw_file_stamp *s, const char *path, size_t path_len,
                         uint32_t flags);
/* 1 and *flags on a hit; 0 on a miss. An entry for the same file and path with another stamp is dropped. */
int bw_verdict_cache_get(struct bw_verdict_cache *c, const struct bw_file_stamp *s, const char *path, size_t path_len,
                         uint32_t *flags);
void bw_verdict_cache_clear(struct bw_verdict_cache *c);
struct bw_verdict_cache_stats bw_verdict_cache_stats(struct bw_verdict_cache *c);
#endif
