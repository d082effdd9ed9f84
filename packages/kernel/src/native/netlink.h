/* Just enough nfnetlink to speak nfnetlink_queue and nfnetlink_log over a raw socket. */
#ifndef BW_NETLINK_H
#define BW_NETLINK_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

struct bw_nlmsg {
  uint8_t buf[512] __attribute__((aligned(4)));
  size_t len;
};

/* Opens a NETLINK_NETFILTER socket; returns fd or -errno. */
int bw_nl_open(int rcvbuf_bytes);
void bw_nl_begin(struct bw_nlmsg *m, uint16_t type, uint16_t flags, uint16_t res_id, uint32_t seq);
void bw_nl_attr(struct bw_nlmsg *m, uint16_t type, const void *data, size_t len);
void bw_nl_attr_u32be(struct bw_nlmsg *m, uint16_t type, uint32_t host_value);
/* Sends a request with NLM_F_ACK and waits up to a second for its answer; returns 0 or -errno. */
typedef void (*bw_nl_other_fn)(void *ctx, const struct nlmsghdr *nh);
/* Messages other than the answer that arrive meanwhile (a packet already queued) go to other(). */
int bw_nl_request(int fd, struct bw_nlmsg *m, bw_nl_other_fn other, void *ctx);

/* Attribute walk over the payload that follows the nfgenmsg header. */
#define BW_NL_MAX_ATTR 32
void bw_nl_parse(const struct nlmsghdr *nh, const struct nlattr *attrs[BW_NL_MAX_ATTR]);

#endif
