/*
 * NFQUEUE over nfnetlink_queue: bind a queue, copy up to copy_range bytes of each packet to JS,
 * take verdicts back. Every packet is entered in the pending table first, so the channel thread
 * gives it the default verdict if JS has not answered by the deadline.
 */
#define _GNU_SOURCE
#include "nfqueue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "channel.h"
#include "netlink.h"

struct nfq_source {
  uint16_t queue;
  uint32_t default_verdict;
  uint32_t seq;
  int accept_bare_acks;
};

enum { TCP_FLAG_FIN = 0x01, TCP_FLAG_SYN = 0x02, TCP_FLAG_RST = 0x04, TCP_FLAG_ACK = 0x10, TCP_FLAG_URG = 0x20 };

/*
 * A TCP segment that only acknowledges: no payload and none of SYN, FIN, RST, URG. Such a
 * segment cannot change what an inspector sees (no bytes) nor the flow's state the engine keeps
 * (the handshake completes at the first data, FIN and RST still go to JS), so it need not cost a
 * round trip through JS. IPv4 without options-of-interest, not fragmented; IPv6 with TCP as the
 * first header. Anything else goes to JS.
 */
static int is_bare_ack(const uint8_t *p, size_t len) {
  size_t ip_len, total;
  if (len < 1) return 0;
  if ((p[0] >> 4) == 4) {
    if (len < 20) return 0;
    ip_len = (size_t)(p[0] & 0x0f) * 4;
    total = ((size_t)p[2] << 8) | p[3];
    if (p[9] != 6 || ip_len < 20 || ((p[6] & 0x3f) | p[7]) != 0) return 0; /* not TCP, or MF/offset set */
  } else if ((p[0] >> 4) == 6) {
    if (len < 40 || p[6] != 6) return 0;
    ip_len = 40;
    total = 40 + (((size_t)p[4] << 8) | p[5]);
  } else {
    return 0;
  }
  if (len < ip_len + 20 || total < ip_len + 20) return 0;
  const uint8_t *tcp = p + ip_len;
  size_t tcp_len = (size_t)(tcp[12] >> 4) * 4;
  uint8_t flags = tcp[13];
  if (tcp_len < 20 || total != ip_len + tcp_len) return 0; /* carries payload */
  return (flags & TCP_FLAG_ACK) && !(flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST | TCP_FLAG_URG));
}

static uint32_t attr_u32be(const struct nlattr *a) {
  uint32_t v;
  memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, sizeof v);
  return ntohl(v);
}

static size_t attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static const void *attr_data(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }

/* Builds one verdict message into out (which must hold NLMSG_SPACE(64)); returns its length. */
static size_t build_verdict(uint8_t *out, uint16_t queue, uint32_t id, uint32_t verdict, int has_mark, uint32_t mark,
                            size_t payload_len) {
  struct nlmsghdr *nh = (struct nlmsghdr *)out;
  memset(out, 0, NLMSG_HDRLEN + 64);
  nh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
  nh->nlmsg_flags = NLM_F_REQUEST;
  struct nfgenmsg *g = (struct nfgenmsg *)(out + NLMSG_HDRLEN);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue);
  size_t len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *g);
  struct nlattr *a = (struct nlattr *)(out + len);
  a->nla_type = NFQA_VERDICT_HDR;
  a->nla_len = NLA_HDRLEN + sizeof(struct nfqnl_msg_verdict_hdr);
  struct nfqnl_msg_verdict_hdr vh = {.verdict = htonl(verdict), .id = htonl(id)};
  memcpy((uint8_t *)a + NLA_HDRLEN, &vh, sizeof vh);
  len += NLA_ALIGN(a->nla_len);
  if (has_mark) {
    a = (struct nlattr *)(out + len);
    a->nla_type = NFQA_MARK;
    a->nla_len = NLA_HDRLEN + 4;
    uint32_t m = htonl(mark);
    memcpy((uint8_t *)a + NLA_HDRLEN, &m, 4);
    len += NLA_ALIGN(a->nla_len);
  }
  if (payload_len > 0) {
    a = (struct nlattr *)(out + len);
    a->nla_type = NFQA_PAYLOAD;
    a->nla_len = (uint16_t)(NLA_HDRLEN + payload_len);
    len += NLA_HDRLEN;
    nh->nlmsg_len = (uint32_t)(len + NLA_ALIGN(payload_len));
  } else {
    nh->nlmsg_len = (uint32_t)len;
  }
  return len;
}

static int send_buf(int fd, const void *buf, size_t len) {
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  return sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0 ? -errno : 0;
}

static void nfq_send_default(struct bw_channel *ch, uint32_t id) {
  struct nfq_source *q = ch->source;
  uint8_t msg[NLMSG_HDRLEN + 64] __attribute__((aligned(4)));
  size_t len = build_verdict(msg, q->queue, id, q->default_verdict, 0, 0, 0);
  send_buf(ch->fd, msg, len);
}

static void nfq_handle_packet(struct bw_channel *ch, const struct nlmsghdr *nh, int deliver) {
  if (nh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) return;
  const struct nlattr *at[BW_NL_MAX_ATTR];
  bw_nl_parse(nh, at);
  if (!at[NFQA_PACKET_HDR] || attr_len(at[NFQA_PACKET_HDR]) < sizeof(struct nfqnl_msg_packet_hdr)) return;
  struct nfqnl_msg_packet_hdr ph;
  memcpy(&ph, attr_data(at[NFQA_PACKET_HDR]), sizeof ph);
  uint32_t id = ntohl(ph.packet_id);
  ch->stats.received++;
  if (!deliver) {
    nfq_send_default(ch, id);
    ch->stats.defaulted++;
    return;
  }
  size_t plen = at[NFQA_PAYLOAD] ? attr_len(at[NFQA_PAYLOAD]) : 0;
  struct nfq_source *q = ch->source;
  if (q->accept_bare_acks && plen > 0 && is_bare_ack(attr_data(at[NFQA_PAYLOAD]), plen)) {
    uint8_t msg[NLMSG_HDRLEN + 64] __attribute__((aligned(4)));
    size_t len = build_verdict(msg, q->queue, id, NF_ACCEPT, 0, 0, 0);
    if (send_buf(ch->fd, msg, len) == 0) {
      ch->stats.answered_natively++;
      return;
    }
  }
  struct bw_record *r = bw_batch_add(ch, plen);
  if (r == NULL) {
    nfq_send_default(ch, id);
    ch->stats.defaulted++;
    return;
  }
  pthread_mutex_lock(&ch->lock);
  r->ticket = (double)bw_pending_add(ch, id);
  pthread_mutex_unlock(&ch->lock);
  /* kind: hook in the low byte, NFQA_SKB_INFO flags (checksum not ready, GSO) above it. */
  r->kind = ph.hook | ((at[NFQA_SKB_INFO] ? attr_u32be(at[NFQA_SKB_INFO]) & 0xffffff : 0) << 8);
  r->hwproto = ntohs(ph.hw_protocol);
  if (at[NFQA_MARK]) r->mark = attr_u32be(at[NFQA_MARK]);
  if (at[NFQA_IFINDEX_INDEV]) r->indev = attr_u32be(at[NFQA_IFINDEX_INDEV]);
  if (at[NFQA_IFINDEX_OUTDEV]) r->outdev = attr_u32be(at[NFQA_IFINDEX_OUTDEV]);
  if (at[NFQA_UID]) r->uid = attr_u32be(at[NFQA_UID]);
  if (at[NFQA_GID]) r->gid = attr_u32be(at[NFQA_GID]);
  if (at[NFQA_TIMESTAMP] && attr_len(at[NFQA_TIMESTAMP]) >= sizeof(struct nfqnl_msg_packet_timestamp)) {
    struct nfqnl_msg_packet_timestamp ts;
    memcpy(&ts, attr_data(at[NFQA_TIMESTAMP]), sizeof ts);
    r->time_ms = (double)be64toh(ts.sec) * 1000.0 + (double)be64toh(ts.usec) / 1000.0;
  }
  r->orig_len = at[NFQA_CAP_LEN] ? attr_u32be(at[NFQA_CAP_LEN]) : (uint32_t)plen;
  r->data_len = (uint32_t)plen;
  r->data_off = bw_batch_put(ch, plen ? attr_data(at[NFQA_PAYLOAD]) : NULL, plen);
}

static void nfq_on_readable(struct bw_channel *ch) {
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
      nfq_handle_packet(ch, nh, 1);
  }
}

static void nfq_other_during_setup(void *ctx, const struct nlmsghdr *nh) { nfq_handle_packet(ctx, nh, 0); }

static const struct bw_channel_ops nfq_ops = {.on_readable = nfq_on_readable, .send_default = nfq_send_default};

int bw_nfqueue_open(struct bw_channel *ch, const struct bw_nfqueue_options *o, const char **what) {
  struct nfq_source *q = calloc(1, sizeof *q);
  if (!q) return -ENOMEM;
  ch->source = q;
  ch->kind = BW_KIND_QUEUE;
  q->queue = o->queue;
  q->default_verdict = o->default_accept ? NF_ACCEPT : NF_DROP;
  q->accept_bare_acks = o->accept_bare_acks;
  int fd = bw_nl_open(o->rcvbuf_bytes);
  if (fd < 0) {
    *what = "nfqueue: netlink socket";
    return fd;
  }
  ch->fd = fd;
  struct bw_nlmsg m;
  bw_nl_begin(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, 0, o->queue, ++q->seq);
  struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND};
  bw_nl_attr(&m, NFQA_CFG_CMD, &cmd, sizeof cmd);
  struct nfqnl_msg_config_params params = {.copy_range = htonl(o->copy_range), .copy_mode = NFQNL_COPY_PACKET};
  bw_nl_attr(&m, NFQA_CFG_PARAMS, &params, sizeof params);
  bw_nl_attr_u32be(&m, NFQA_CFG_QUEUE_MAXLEN, o->max_queue_len);
  /* GSO: take large segments as they are (no software segmentation); FAIL_OPEN: a full queue accepts. */
  uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID | (o->default_accept ? NFQA_CFG_F_FAIL_OPEN : 0);
  bw_nl_attr_u32be(&m, NFQA_CFG_MASK, NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID | NFQA_CFG_F_FAIL_OPEN);
  bw_nl_attr_u32be(&m, NFQA_CFG_FLAGS, flags);
  int err = bw_nl_request(fd, &m, nfq_other_during_setup, ch);
  if (err < 0) {
    /* EPERM also when another socket holds the queue. */
    *what = err == -EPERM ? "nfqueue: bind queue (another listener holds it, or needs CAP_NET_ADMIN)" : "nfqueue: bind queue";
    return err;
  }
  return 0;
}

const struct bw_channel_ops *bw_nfqueue_ops(void) { return &nfq_ops; }

int bw_nfqueue_verdicts(struct bw_channel *ch, const double *tickets, const uint8_t *verdicts, const uint32_t *marks,
                        size_t n, uint32_t *late, uint8_t *late_flags) {
  struct nfq_source *q = ch->source;
  enum { PER = NLMSG_HDRLEN + 64 };
  uint8_t buf[PER * 32] __attribute__((aligned(4)));
  size_t used = 0;
  int err = 0;
  *late = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t id;
    pthread_mutex_lock(&ch->lock);
    int live = bw_pending_take(ch, bw_ticket_of(tickets[i]), &id);
    if (live) ch->stats.answered++;
    else ch->stats.late_answers++;
    pthread_mutex_unlock(&ch->lock);
    if (late_flags) late_flags[i] = !live;
    if (!live) {
      (*late)++;
      continue;
    }
    used += build_verdict(buf + used, q->queue, id, verdicts[i] ? NF_ACCEPT : NF_DROP, marks != NULL,
                          marks ? marks[i] : 0, 0);
    /* Several verdicts in one send: nfnetlink processes every message in the buffer. */
    if (used + PER > sizeof buf) {
      int e = send_buf(ch->fd, buf, used);
      if (e) err = e;
      used = 0;
    }
  }
  if (used) {
    int e = send_buf(ch->fd, buf, used);
    if (e) err = e;
  }
  return err;
}

int bw_nfqueue_verdict_payload(struct bw_channel *ch, double ticket, int accept, const uint8_t *payload, size_t len,
                               int has_mark, uint32_t mark, int *was_late) {
  struct nfq_source *q = ch->source;
  uint32_t id;
  pthread_mutex_lock(&ch->lock);
  int live = bw_pending_take(ch, bw_ticket_of(ticket), &id);
  if (live) ch->stats.answered++;
  else ch->stats.late_answers++;
  pthread_mutex_unlock(&ch->lock);
  *was_late = !live;
  if (!live) return 0;
  uint8_t hdr[NLMSG_HDRLEN + 64] __attribute__((aligned(4)));
  size_t hlen = build_verdict(hdr, q->queue, id, accept ? NF_ACCEPT : NF_DROP, has_mark, mark, len);
  static const uint8_t pad[4] = {0};
  struct iovec iov[3] = {{hdr, hlen}, {(void *)payload, len}, {(void *)pad, NLA_ALIGN(len) - len}};
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = iov, .msg_iovlen = 3};
  return sendmsg(ch->fd, &mh, 0) < 0 ? -errno : 0;
}
