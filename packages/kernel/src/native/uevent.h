#ifndef BW_UEVENT_H
#define BW_UEVENT_H
#include "channel.h"

/* record.kind of a uevent record: a message, or the notice that the kernel dropped messages. */
#define BW_UEVENT_MESSAGE 0
#define BW_UEVENT_OVERRUN 1

int bw_uevent_open(struct bw_channel *ch, int rcvbuf_bytes, const char **what);
const struct bw_channel_ops *bw_uevent_ops(void);
#endif
