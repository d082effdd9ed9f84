#ifndef BW_NFLOG_H
#define BW_NFLOG_H
#include <stdint.h>

#include "channel.h"

struct bw_nflog_options {
  uint16_t group;
  uint32_t copy_range;
  uint32_t qthresh;     /* packets the kernel gathers into one message batch */
  uint32_t timeout_cs;  /* ... or until this many 1/100 s have passed */
  int rcvbuf_bytes;
};

int bw_nflog_open(struct bw_channel *ch, const struct bw_nflog_options *o, const char **what);
const struct bw_channel_ops *bw_nflog_ops(void);
#endif
