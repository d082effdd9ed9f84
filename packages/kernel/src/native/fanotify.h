#ifndef BW_FANOTIFY_H
#define BW_FANOTIFY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "verdict-cache.h"

/* cache_capacity: verdicts kept for answering in this thread (0 = every event goes to JS). */
int bw_fanotify_open(struct bw_channel *ch, int default_allow, uint32_t cache_capacity, const char **what);
const struct bw_channel_ops *bw_fanotify_ops(void);
/* With on: permission events of this process's own children are allowed at once (see fan_handle). */
void bw_fanotify_allow_children(struct bw_channel *ch, int on);
int bw_fanotify_mark(struct bw_channel *ch, int remove, unsigned int scope_flags, uint64_t mask, const char *path);
/* allow: 0 deny, 1 allow, BW_ALLOW_UNTIL_MODIFIED allow and let the kernel allow this inode
 * without asking until it is modified (an inode ignore mark; see bw_fanotify_set_max_ignore_marks). */
#define BW_ALLOW_UNTIL_MODIFIED 2
void bw_fanotify_set_max_ignore_marks(struct bw_channel *ch, uint32_t max);
int bw_fanotify_respond(struct bw_channel *ch, double ticket, int allow, int *was_late);
/* Reads from the file of a pending permission event; returns bytes read, 0 at EOF, or -errno. */
ssize_t bw_fanotify_read(struct bw_channel *ch, double ticket, uint64_t offset, void *buf, size_t len);
/* Runners: extended regular expressions on a program's file name. Once set, an open (not an exec)
 * by a program that matches none is allowed in the thread. patterns NULL: every open goes to JS.
 * On a pattern that does not compile returns -EINVAL and sets *bad to it. */
int bw_fanotify_set_runners(struct bw_channel *ch, const char *const *patterns, uint32_t count, const char **bad);
int bw_fanotify_cache_put(struct bw_channel *ch, const struct bw_file_stamp *stamp, const char *path, size_t len,
                          uint32_t flags);
void bw_fanotify_cache_clear(struct bw_channel *ch);
struct bw_fanotify_fast_stats {
  struct bw_verdict_cache_stats cache;
  uint64_t opens_passed, cache_allowed, cache_denied, ignore_marks, ignore_flushes;
};
void bw_fanotify_fast_stats(struct bw_channel *ch, struct bw_fanotify_fast_stats *out);
#endif
