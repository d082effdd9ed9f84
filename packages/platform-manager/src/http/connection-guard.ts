import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { RefusalLog } from './refusal-log.js';

/**
 * How many connections a listener holds and how long a connection may stay without a request.
 * Limits are per listener, so the agent port, which anyone can reach, cannot use the descriptors
 * the console port needs (issue 10: 21,000 idle connections to the agent port took both down).
 */
export interface ConnectionLimits {
  /** The listener's share of the process's descriptors; connections over it are closed at once. */
  readonly maxConnections: number;
  /** One source address (a NAT may hide many agents behind one: an agent holds up to 4). */
  readonly maxConnectionsPerAddress: number;
  /** TCP accepted to TLS established. */
  readonly handshakeTimeoutMs: number;
  /** TLS established to the first request's headers: a client that sends nothing is closed. */
  readonly firstRequestTimeoutMs: number;
  /** Request started to all its headers received. */
  readonly headersTimeoutMs: number;
  /** Request started to its whole body received (answers may take longer: wake long-polls). */
  readonly requestTimeoutMs: number;
}

export interface ListenerLimits {
  readonly agent: ConnectionLimits;
  readonly console: ConnectionLimits;
}

/** Descriptors when the limit cannot be read (not Linux): Node's common default soft limit. */
const FALLBACK_DESCRIPTORS = 1024;

/** The soft limit on open files of this process, from /proc/self/limits. */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const value = soft === 'unlimited' ? 1_048_576 : Number(soft);
    return Number.isInteger(value) && value > 0 ? value : FALLBACK_DESCRIPTORS;
  } catch {
    return FALLBACK_DESCRIPTORS;
  }
}

/**
 * Splits the descriptor limit: 60 % for the agent port, 15 % for the console port, and the
 * rest for the database, files and SIEM connections, which no client can take.
 */
export function defaultListenerLimits(descriptors = openFileLimit()): ListenerLimits {
  return {
    agent: {
      maxConnections: Math.max(16, Math.floor(descriptors * 0.6)),
      maxConnectionsPerAddress: 256,
      handshakeTimeoutMs: 10_000,
      firstRequestTimeoutMs: 10_000,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 120_000,
    },
    console: {
      maxConnections: Math.max(16, Math.floor(descriptors * 0.15)),
      maxConnectionsPerAddress: 128,
      handshakeTimeoutMs: 10_000,
      firstRequestTimeoutMs: 30_000,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 120_000,
    },
  };
}

/** The fastify options these limits set; guardConnections does the rest on the server. */
export function fastifyConnectionOptions(limits: ConnectionLimits): {
  requestTimeout: number;
  https: { handshakeTimeout: number };
} {
  return { requestTimeout: limits.requestTimeoutMs, https: { handshakeTimeout: limits.handshakeTimeoutMs } };
}

export interface ConnectionCounters {
  /** Closed because the listener or the address held the most allowed. */
  refused: number;
  /** Closed after sending no request within firstRequestTimeoutMs of the handshake. */
  idleClosed: number;
}

const FIRST_REQUEST_TIMER = Symbol('bulwark.firstRequestTimer');
type Tracked = Socket & { [FIRST_REQUEST_TIMER]?: NodeJS.Timeout };

/**
 * Applies the limits to an HTTPS server: a count per source address checked on every accepted
 * connection, Node's own cap on the listener, the header deadline, and a deadline for the first
 * request (Node's own timeouts start only once a request has begun). Refusals and failed
 * handshakes are logged through a RefusalLog, so a flood does not flood the log.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  log: FastifyBaseLogger,
  name: string,
): ConnectionCounters {
  const counters: ConnectionCounters = { refused: 0, idleClosed: 0 };
  const perAddress = new Map<string, number>();
  const refusals = new RefusalLog(log, 60_000);
  const refused = (reason: string, address: string | undefined) => {
    counters.refused++;
    refusals.note('connection refused', { listener: name, reason, address });
  };
  // A handshake that fails (a certificate the TLS layer refuses, a reset, a timeout) never
  // becomes a request, so nothing else would log it.
  server.on('tlsClientError', (error: Error & { code?: string }, socket: Socket) => {
    refusals.note('TLS handshake failed', {
      listener: name,
      address: socket.remoteAddress,
      code: error.code,
      reason: error.message,
    });
  });

  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.setTimeout(0);
  server.on('drop', (data?: { remoteAddress?: string }) =>
    refused(`the listener holds ${limits.maxConnections} connections`, data?.remoteAddress),
  );

  // Raw TCP, before TLS: count and cap per address.
  server.on('connection', (socket: Tracked) => {
    const address = socket.remoteAddress ?? 'unknown';
    const held = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, held);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    if (held > limits.maxConnectionsPerAddress) {
      refused(`the address holds ${limits.maxConnectionsPerAddress} connections`, address);
      socket.destroy();
    }
  });

  // TLS established (the handshake itself is timed by the TLS option handshakeTimeout): from now
  // on the client has firstRequestTimeoutMs to start a request.
  server.on('secureConnection', (tls: Tracked) => {
    const timer = setTimeout(() => {
      counters.idleClosed++;
      tls.destroy();
    }, limits.firstRequestTimeoutMs);
    timer.unref();
    tls[FIRST_REQUEST_TIMER] = timer;
    tls.once('close', () => clearTimeout(timer));
  });

  server.on('request', (request: { socket: Tracked }) => {
    const timer = request.socket[FIRST_REQUEST_TIMER];
    if (timer !== undefined) {
      clearTimeout(timer);
      delete request.socket[FIRST_REQUEST_TIMER];
    }
  });
  return counters;
}
