#ifndef BW_FANOTIFY_H
#define BW_FANOTIFY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"

int bw_fanotify_open(struct bw_channel *ch, int default_allow, const char **what);
const struct bw_channel_ops *bw_fanotify_ops(void);
/* With on: permission events of this process's own children are allowed at once (see fan_handle). */
void bw_fanotify_allow_children(struct bw_channel *ch, int on);
int bw_fanotify_mark(struct bw_channel *ch, int remove, unsigned int scope_flags, uint64_t mask, const char *path);
int bw_fanotify_respond(struct bw_channel *ch, double ticket, int allow, int *was_late);
/* Reads from the file of a pending permission event; returns bytes read, 0 at EOF, or -errno. */
ssize_t bw_fanotify_read(struct bw_channel *ch, double ticket, uint64_t offset, void *buf, size_t len);
#endif
