/*
 * Sends one complete IP packet (header included) as it is, through a raw socket, with an
 * optional packet mark: how the traffic engine answers a client itself (a block page in place of
 * a bare reset). The caller builds the packet, checksums included. No state: a socket per call
 * (blocks are rare; nothing stays open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rawsend.h"

int bw_raw_send(const uint8_t *packet, size_t len, int has_mark, uint32_t mark) {
  if (len < 20) return -EINVAL;
  int version = packet[0] >> 4;
  struct sockaddr_storage to;
  socklen_t to_len;
  memset(&to, 0, sizeof to);
  int family;
  if (version == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&to;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, packet + 16, 4);
    to_len = sizeof *a;
    family = AF_INET;
  } else if (version == 6 && len >= 40) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, packet + 24, 16);
    to_len = sizeof *a;
    family = AF_INET6;
  } else {
    return -EINVAL;
  }
  /* IPPROTO_RAW: the packet carries its own IP header (IPv4 and, since Linux 4.5, IPv6). */
  int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return -errno;
  int err = 0;
  if (has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) err = -errno;
  if (err == 0 && sendto(fd, packet, len, 0, (struct sockaddr *)&to, to_len) < 0) err = -errno;
  close(fd);
  return err;
}
