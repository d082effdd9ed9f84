#include "netlink.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int bw_nl_open(int rcvbuf_bytes) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0) return -errno;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  /* Force works as root beyond rmem_max; fall back to the ordinary limit otherwise. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
  /* Overruns are accounted by the kernel (queue fail-open / nflog drop); don't report them as errors. */
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  return fd;
}

void bw_nl_begin(struct bw_nlmsg *m, uint16_t type, uint16_t flags, uint16_t res_id, uint32_t seq) {
  memset(m->buf, 0, sizeof m->buf);
  struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;
  nh->nlmsg_type = type;
  nh->nlmsg_flags = NLM_F_REQUEST | flags;
  nh->nlmsg_seq = seq;
  struct nfgenmsg *g = (struct nfgenmsg *)(m->buf + NLMSG_HDRLEN);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(res_id);
  m->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *g);
  nh->nlmsg_len = (uint32_t)m->len;
}

void bw_nl_attr(struct bw_nlmsg *m, uint16_t type, const void *data, size_t len) {
  struct nlattr *a = (struct nlattr *)(m->buf + m->len);
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
  m->len += NLA_ALIGN(NLA_HDRLEN + len);
  ((struct nlmsghdr *)m->buf)->nlmsg_len = (uint32_t)m->len;
}

void bw_nl_attr_u32be(struct bw_nlmsg *m, uint16_t type, uint32_t host_value) {
  uint32_t v = htonl(host_value);
  bw_nl_attr(m, type, &v, sizeof v);
}

int bw_nl_request(int fd, struct bw_nlmsg *m, bw_nl_other_fn other, void *ctx) {
  struct nlmsghdr *req = (struct nlmsghdr *)m->buf;
  req->nlmsg_flags |= NLM_F_ACK;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&to, sizeof to) < 0) return -errno;
  uint8_t buf[8192] __attribute__((aligned(4)));
  for (int tries = 0; tries < 50; tries++) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0) return -ETIMEDOUT;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == NLMSG_ERROR && nh->nlmsg_seq == req->nlmsg_seq) {
        const struct nlmsgerr *e = NLMSG_DATA(nh);
        return e->error; /* 0 = ack */
      }
      if (other && nh->nlmsg_type != NLMSG_ERROR && nh->nlmsg_type != NLMSG_DONE) other(ctx, nh);
    }
  }
  return -ETIMEDOUT;
}

void bw_nl_parse(const struct nlmsghdr *nh, const struct nlattr *attrs[BW_NL_MAX_ATTR]) {
  memset(attrs, 0, sizeof(*attrs) * BW_NL_MAX_ATTR);
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
  if (nh->nlmsg_len < off) return;
  const uint8_t *p = (const uint8_t *)nh + off;
  size_t left = nh->nlmsg_len - off;
  while (left >= NLA_HDRLEN) {
    const struct nlattr *a = (const struct nlattr *)p;
    if (a->nla_len < NLA_HDRLEN || a->nla_len > left) break;
    uint16_t type = a->nla_type & NLA_TYPE_MASK;
    if (type < BW_NL_MAX_ATTR) attrs[type] = a;
    size_t step = NLA_ALIGN(a->nla_len);
    if (step >= left) break;
    p += step;
    left -= step;
  }
}
