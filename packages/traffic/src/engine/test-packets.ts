/**
 * Builds IPv4/IPv6 TCP/UDP packets as NFQUEUE hands them over (from the network header), for the
 * engine's tests and the bench. Checksums are left zero: the engine does not verify them.
 */
export interface SegmentSpec {
  readonly src?: string;
  readonly dst?: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly flags?: number;
  readonly payload?: Uint8Array | string;
}

const bytesOf = (p: Uint8Array | string | undefined): Uint8Array =>
  p === undefined ? new Uint8Array(0) : typeof p === 'string' ? new TextEncoder().encode(p) : p;

function ipv4Header(src: string, dst: string, proto: number, payloadLength: number): Uint8Array {
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  h[0] = 0x45;
  v.setUint16(2, 20 + payloadLength);
  h[8] = 64;
  h[9] = proto;
  h.set(src.split('.').map(Number), 12);
  h.set(dst.split('.').map(Number), 16);
  return h;
}

function ipv6Bytes(a: string): number[] {
  const [head = '', tail = ''] = a.includes('::') ? a.split('::') : [a, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function ipv6Header(src: string, dst: string, proto: number, payloadLength: number): Uint8Array {
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  h[0] = 0x60;
  v.setUint16(4, payloadLength);
  h[6] = proto;
  h[7] = 64;
  h.set(ipv6Bytes(src), 8);
  h.set(ipv6Bytes(dst), 24);
  return h;
}

function ipHeader(src: string, dst: string, proto: number, payloadLength: number): Uint8Array {
  return src.includes(':') ? ipv6Header(src, dst, proto, payloadLength) : ipv4Header(src, dst, proto, payloadLength);
}

export function tcpPacket(s: SegmentSpec): Uint8Array {
  const payload = bytesOf(s.payload);
  const tcp = new Uint8Array(20 + payload.length);
  const v = new DataView(tcp.buffer);
  v.setUint16(0, s.sport);
  v.setUint16(2, s.dport);
  v.setUint32(4, (s.seq ?? 0) >>> 0);
  v.setUint32(8, (s.ack ?? 0) >>> 0);
  tcp[12] = 5 << 4;
  tcp[13] = s.flags ?? 0x18;
  v.setUint16(14, 65535);
  tcp.set(payload, 20);
  const ip = ipHeader(s.src ?? '10.0.0.1', s.dst ?? '10.0.0.2', 6, tcp.length);
  const out = new Uint8Array(ip.length + tcp.length);
  out.set(ip, 0);
  out.set(tcp, ip.length);
  return out;
}

export function udpPacket(s: Omit<SegmentSpec, 'seq' | 'ack' | 'flags'>): Uint8Array {
  const payload = bytesOf(s.payload);
  const udp = new Uint8Array(8 + payload.length);
  const v = new DataView(udp.buffer);
  v.setUint16(0, s.sport);
  v.setUint16(2, s.dport);
  v.setUint16(4, udp.length);
  udp.set(payload, 8);
  const ip = ipHeader(s.src ?? '10.0.0.1', s.dst ?? '10.0.0.2', 17, udp.length);
  const out = new Uint8Array(ip.length + udp.length);
  out.set(ip, 0);
  out.set(udp, ip.length);
  return out;
}

/** A TLS ClientHello record for `sni`, optionally offering TLS 1.3 in supported_versions. */
export function clientHello(sni: string, tls13 = true): Uint8Array {
  const name = new TextEncoder().encode(sni);
  const sniExt = [0, 0, ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  const versions = tls13 ? [0, 43, 0, 5, 4, 0x0a, 0x0a, 3, 4] : [];
  const extensions = [...sniExt, ...versions];
  const body = [3, 3, ...new Array(32).fill(7), 0, 0, 2, 0x13, 0x01, 1, 0, ...u16(extensions.length), ...extensions];
  const handshake = [1, 0, ...u16(body.length), ...body];
  return Uint8Array.from([22, 3, 1, ...u16(handshake.length), ...handshake]);
}

/** The same handshake split into records of at most `size` bytes of handshake data each. */
export function fragmentRecords(record: Uint8Array, size: number): Uint8Array {
  const handshake = record.subarray(5);
  const out: number[] = [];
  for (let i = 0; i < handshake.length; i += size) {
    const part = handshake.subarray(i, i + size);
    out.push(22, 3, 1, ...u16(part.length), ...part);
  }
  return Uint8Array.from(out);
}

export function dnsQuery(name: string, type = 1): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, ...u16(type), 0, 1]);
}

/**
 * A certificate made for these tests (openssl req -x509, P-256): subject O=Bulwark test,
 * CN=cn.example.test; subjectAltName DNS www.example.test and *.cdn.example.test, an IP address
 * and an e-mail (not DNS names); basicConstraints critical (the optional BOOLEAN in an extension).
 */
export const TEST_CERTIFICATE_DER = Uint8Array.from(
  Buffer.from(
    [
      'MIIB/zCCAaagAwIBAgIUDQMlTQrzpBxrpRbbg+ZGADZnpZIwCgYIKoZIzj0EAwIwMTEVMBMGA1UECgwMQnVsd2FyayB0ZXN0',
      'MRgwFgYDVQQDDA9jbi5leGFtcGxlLnRlc3QwHhcNMjYxMjA3MTQ0NDA2WhcNMzYxMjA0MTQ0NDA2WjAxMRUwEwYDVQQKDAxC',
      'dWx3YXJrIHRlc3QxGDAWBgNVBAMMD2NuLmV4YW1wbGUudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOn3JoIKW3c7',
      'h1QUbluUBBLLgqCeZdqRTIcEdjI8x5XRlM7sKX6Qm0JWRmOS50j/rTe3YNI/yjd6vu+/nOxaurijgZswgZgwHQYDVR0OBBYE',
      'FOjqS88utinh1rP4GEqD6xpj/bIMMB8GA1UdIwQYMBaAFOjqS88utinh1rP4GEqD6xpj/bIMMA8GA1UdEwEB/wQFMAMBAf8w',
      'RQYDVR0RBD4wPIIQd3d3LmV4YW1wbGUudGVzdIISKi5jZG4uZXhhbXBsZS50ZXN0hwTAAAIBgQ5hQGV4YW1wbGUudGVzdDAK',
      'BggqhkjOPQQDAgNHADBEAiAODfqqNhe67oxCNKvTSrty/ukSlUhoPwSktZgNEjd9EwIgZBjDB5OfSaB82lDVvf+oSVUu2tj5',
      'waQ3XZJLesa3YtY=',
    ].join(''),
    'base64',
  ),
);

/**
 * The server's first flight as one handshake record: ServerHello choosing `version` (0x0304 is
 * put in supported_versions, as TLS 1.3 does), then, unless null, a Certificate message with
 * `certificate` first in its list, then ServerHelloDone.
 */
export function serverHello(version: number, certificate: Uint8Array | null = TEST_CERTIFICATE_DER): Uint8Array {
  const u24 = (n: number) => [(n >> 16) & 0xff, ...u16(n)];
  const tls13 = version >= 0x0304;
  const extensions = tls13 ? [0, 43, 0, 2, ...u16(version)] : [];
  const body = [
    ...u16(Math.min(version, 0x0303)),
    ...new Array(32).fill(9),
    0,
    0x13,
    0x01,
    0,
    ...u16(extensions.length),
    ...extensions,
  ];
  const messages = [2, ...u24(body.length), ...body];
  if (certificate) {
    const list = [...u24(certificate.length), ...certificate];
    messages.push(11, ...u24(list.length + 3), ...u24(list.length), ...list);
  }
  if (!tls13) messages.push(14, 0, 0, 0);
  return Uint8Array.from([22, 3, 3, ...u16(messages.length), ...messages]);
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
