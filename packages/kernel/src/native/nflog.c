/* NFLOG over nfnetlink_log: bind a group and pass each logged packet's metadata, prefix and first bytes to JS. */
#define _GNU_SOURCE
#include "nflog.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink.h"

struct nflog_source {
  uint16_t group;
};

static uint32_t attr_u32be(const struct nlattr *a) {
  uint32_t v;
  memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, sizeof v);
  return ntohl(v);
}
static size_t attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static const void *attr_data(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }

static void nflog_handle(struct bw_channel *ch, const struct nlmsghdr *nh) {
  if (nh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) return;
  const struct nlattr *at[BW_NL_MAX_ATTR];
  bw_nl_parse(nh, at);
  ch->stats.received++;
  size_t plen = at[NFULA_PAYLOAD] ? attr_len(at[NFULA_PAYLOAD]) : 0;
  size_t tlen = 0;
  const char *prefix = NULL;
  if (at[NFULA_PREFIX]) {
    prefix = attr_data(at[NFULA_PREFIX]);
    tlen = strnlen(prefix, attr_len(at[NFULA_PREFIX]));
  }
  struct bw_record *r = bw_batch_add(ch, plen + tlen);
  if (r == NULL) {
    ch->stats.items_lost++;
    return;
  }
  if (at[NFULA_PACKET_HDR] && attr_len(at[NFULA_PACKET_HDR]) >= sizeof(struct nfulnl_msg_packet_hdr)) {
    struct nfulnl_msg_packet_hdr ph;
    memcpy(&ph, attr_data(at[NFULA_PACKET_HDR]), sizeof ph);
    r->kind = ph.hook;
    r->hwproto = ntohs(ph.hw_protocol);
  }
  if (at[NFULA_MARK]) r->mark = attr_u32be(at[NFULA_MARK]);
  if (at[NFULA_IFINDEX_INDEV]) r->indev = attr_u32be(at[NFULA_IFINDEX_INDEV]);
  if (at[NFULA_IFINDEX_OUTDEV]) r->outdev = attr_u32be(at[NFULA_IFINDEX_OUTDEV]);
  if (at[NFULA_UID]) r->uid = attr_u32be(at[NFULA_UID]);
  if (at[NFULA_GID]) r->gid = attr_u32be(at[NFULA_GID]);
  if (at[NFULA_TIMESTAMP] && attr_len(at[NFULA_TIMESTAMP]) >= sizeof(struct nfulnl_msg_packet_timestamp)) {
    struct nfulnl_msg_packet_timestamp ts;
    memcpy(&ts, attr_data(at[NFULA_TIMESTAMP]), sizeof ts);
    r->time_ms = (double)be64toh(ts.sec) * 1000.0 + (double)be64toh(ts.usec) / 1000.0;
  }
  r->orig_len = (uint32_t)plen; /* nfnetlink_log does not report the untruncated length */
  r->data_len = (uint32_t)plen;
  r->data_off = bw_batch_put(ch, plen ? attr_data(at[NFULA_PAYLOAD]) : NULL, plen);
  r->text_len = (uint32_t)tlen;
  r->text_off = bw_batch_put(ch, prefix, tlen);
}

static void nflog_on_readable(struct bw_channel *ch) {
  for (int rounds = 0; rounds < 256; rounds++) {
    ssize_t n = recv(ch->fd, ch->recv_buf, ch->recv_buf_len, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) ch->stats.recv_errors++;
      return;
    }
    /* Signed: NLMSG_NEXT subtracts the aligned length, which can pass the end of an unpadded last
     * message; with an unsigned count that wrapped around and walked off the buffer (SIGSEGV). */
    int left = (int)n;
    for (const struct nlmsghdr *nh = (const struct nlmsghdr *)ch->recv_buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left))
      nflog_handle(ch, nh);
  }
}

static void nflog_other_during_setup(void *ctx, const struct nlmsghdr *nh) { nflog_handle(ctx, nh); }

static void nflog_no_default(struct bw_channel *ch, uint32_t key) {
  (void)ch;
  (void)key;
}

static const struct bw_channel_ops nflog_ops = {.on_readable = nflog_on_readable, .send_default = nflog_no_default};
const struct bw_channel_ops *bw_nflog_ops(void) { return &nflog_ops; }

int bw_nflog_open(struct bw_channel *ch, const struct bw_nflog_options *o, const char **what) {
  struct nflog_source *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  ch->source = s;
  ch->kind = BW_KIND_LOG;
  s->group = o->group;
  int fd = bw_nl_open(o->rcvbuf_bytes);
  if (fd < 0) {
    *what = "nflog: netlink socket";
    return fd;
  }
  ch->fd = fd;
  struct bw_nlmsg m;
  bw_nl_begin(&m, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, 0, o->group, 1);
  struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
  bw_nl_attr(&m, NFULA_CFG_CMD, &cmd, sizeof cmd);
  int err = bw_nl_request(fd, &m, NULL, NULL);
  if (err < 0) {
    /* The kernel answers EPERM both without CAP_NET_ADMIN and when another socket holds the group. */
    *what = err == -EPERM ? "nflog: bind group (another listener holds it, or needs CAP_NET_ADMIN)" : "nflog: bind group";
    return err;
  }
  bw_nl_begin(&m, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, 0, o->group, 2);
  struct nfulnl_msg_config_mode mode = {.copy_range = htonl(o->copy_range), .copy_mode = NFULNL_COPY_PACKET};
  bw_nl_attr(&m, NFULA_CFG_MODE, &mode, sizeof mode);
  bw_nl_attr_u32be(&m, NFULA_CFG_QTHRESH, o->qthresh);
  bw_nl_attr_u32be(&m, NFULA_CFG_TIMEOUT, o->timeout_cs);
  err = bw_nl_request(fd, &m, nflog_other_during_setup, ch);
  if (err < 0) {
    *what = "nflog: configure group";
    return err;
  }
  return 0;
}
