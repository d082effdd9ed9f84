#ifndef BW_NFQUEUE_H
#define BW_NFQUEUE_H
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

struct bw_nfqueue_options {
  uint16_t queue;
  uint32_t copy_range;
  uint32_t max_queue_len;
  int default_accept;
  int rcvbuf_bytes;
  /* Accept TCP segments that carry only an ACK (no payload, no SYN/FIN/RST/URG) here, unseen by JS. */
  int accept_bare_acks;
};

int bw_nfqueue_open(struct bw_channel *ch, const struct bw_nfqueue_options *o, const char **what);
const struct bw_channel_ops *bw_nfqueue_ops(void);
/* late_flags (NULL, or n bytes): set to 1 for each entry whose packet had got the default already. */
int bw_nfqueue_verdicts(struct bw_channel *ch, const double *tickets, const uint8_t *verdicts, const uint32_t *marks,
                        size_t n, uint32_t *late, uint8_t *late_flags);
int bw_nfqueue_verdict_payload(struct bw_channel *ch, double ticket, int accept, const uint8_t *payload, size_t len,
                               int has_mark, uint32_t mark, int *was_late);
#endif
