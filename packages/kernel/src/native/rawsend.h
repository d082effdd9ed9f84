#ifndef BW_RAWSEND_H
#define BW_RAWSEND_H
#include <stddef.h>
#include <stdint.h>

/* Sends a complete IPv4/IPv6 packet through a raw socket; 0 or -errno. */
int bw_raw_send(const uint8_t *packet, size_t len, int has_mark, uint32_t mark);

#endif
