/*
 * Kernel uevents over NETLINK_KOBJECT_UEVENT: every "ACTION@DEVPATH\0KEY=VALUE\0..." message the
 * kernel broadcasts (device added, removed, bound to a driver) is passed to JS as it came; JS
 * parses it. Nothing waits on an answer, so there is no pending table and no default verdict.
 */
#define _GNU_SOURCE
#include "uevent.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void uevent_overrun(struct bw_channel *ch) {
  /* The socket buffer overflowed: the kernel dropped messages we will never see. Say so in-band,
     so the reader can look at the devices again instead of trusting a stream with a hole. */
  ch->stats.items_lost++;
  struct bw_record *r = bw_batch_add(ch, 0);
  if (r == NULL) return;
  r->kind = BW_UEVENT_OVERRUN;
}

static void uevent_on_readable(struct bw_channel *ch) {
  for (int rounds = 0; rounds < 256; rounds++) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = ch->recv_buf, .iov_len = ch->recv_buf_len};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(ch->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ENOBUFS) {
        uevent_overrun(ch);
        continue;
      }
      if (errno != EAGAIN && errno != EINTR) ch->stats.recv_errors++;
      return;
    }
    /* Only the kernel speaks here (port 0, group 1); udev's re-broadcasts go to group 2. A message
       from a process, or cut to the buffer, is refused and counted. */
    if (from.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC) || n == 0) {
      ch->stats.recv_errors++;
      continue;
    }
    ch->stats.received++;
    struct bw_record *r = bw_batch_add(ch, (size_t)n);
    if (r == NULL) {
      ch->stats.items_lost++;
      continue;
    }
    r->kind = BW_UEVENT_MESSAGE;
    r->orig_len = (uint32_t)n;
    r->data_len = (uint32_t)n;
    r->data_off = bw_batch_put(ch, ch->recv_buf, (size_t)n);
  }
}

static void uevent_no_default(struct bw_channel *ch, uint32_t key) {
  (void)ch;
  (void)key;
}

static const struct bw_channel_ops uevent_ops = {.on_readable = uevent_on_readable, .send_default = uevent_no_default};
const struct bw_channel_ops *bw_uevent_ops(void) { return &uevent_ops; }

int bw_uevent_open(struct bw_channel *ch, int rcvbuf_bytes, const char **what) {
  ch->kind = BW_KIND_UEVENT;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
  if (fd < 0) {
    *what = "uevent: netlink socket";
    return -errno;
  }
  ch->fd = fd;
  /* A burst (a hub with many devices, a disk with many partitions) must not overflow the buffer;
     FORCE needs CAP_NET_ADMIN, the plain option is capped by net.core.rmem_max. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    *what = "uevent: bind to the kernel's uevent group";
    return -errno;
  }
  return 0;
}
