import dgram from 'node:dgram';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { clipUtf8, octetCountedFrame } from './syslog-message.js';

export type Transport = 'udp' | 'tcp' | 'tls';

export interface SyslogEndpoint {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  /** PEM trusted for TLS; null = the system CAs. */
  readonly caCertificate: string | null;
}

/** One message per UDP datagram (RFC 5426), kept under the IPv4 datagram limit. */
export const MAX_UDP_MESSAGE_BYTES = 65_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connection to one collector. `send` resolves once every message is handed to the kernel.
 * Syslog has no application acknowledgement: TCP/TLS give ordered delivery while the connection
 * lives, and a connection that the collector closed is noticed (`end`) before the next batch.
 */
export interface SyslogConnection {
  send(messages: readonly string[]): Promise<void>;
  readonly usable: boolean;
  close(): void;
}

function udpConnection(endpoint: SyslogEndpoint): SyslogConnection {
  const socket = dgram.createSocket(isIP(endpoint.host) === 6 ? 'udp6' : 'udp4');
  let usable = true;
  socket.on('error', () => {
    usable = false;
  });
  return {
    get usable() {
      return usable;
    },
    async send(messages) {
      for (const message of messages) {
        const datagram = Buffer.from(clipUtf8(message, MAX_UDP_MESSAGE_BYTES), 'utf8');
        await new Promise<void>((resolve, reject) =>
          socket.send(datagram, endpoint.port, endpoint.host, (error) => (error ? reject(error) : resolve())),
        );
      }
    },
    close() {
      usable = false;
      socket.close();
    },
  };
}

async function streamConnection(endpoint: SyslogEndpoint): Promise<SyslogConnection> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      candidate.destroy();
      reject(new Error(`connect to ${endpoint.host}:${endpoint.port} timed out`));
    }, CONNECT_TIMEOUT_MS);
    const onReady = () => {
      clearTimeout(timer);
      candidate.off('error', onError);
      resolve(candidate);
    };
    const onError = (error: Error) => {
      clearTimeout(timer);
      candidate.destroy();
      reject(error);
    };
    const candidate: net.Socket =
      endpoint.transport === 'tls'
        ? tls.connect(
            {
              host: endpoint.host,
              port: endpoint.port,
              ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
              ...(endpoint.caCertificate === null ? {} : { ca: endpoint.caCertificate }),
            },
            onReady,
          )
        : net.connect({ host: endpoint.host, port: endpoint.port }, onReady);
    candidate.once('error', onError);
  });
  let usable = true;
  const broken = () => {
    usable = false;
  };
  socket.on('error', broken);
  socket.on('end', () => {
    broken();
    socket.destroy();
  });
  socket.on('close', broken);
  // Collectors send nothing back; reading keeps `end` flowing so a closed peer is noticed.
  socket.resume();
  socket.setKeepAlive(true, 30_000);
  return {
    get usable() {
      return usable && !socket.destroyed;
    },
    async send(messages) {
      // Let pending socket events run first: a collector that closed the connection since the last
      // batch must be noticed before writing, or the kernel would accept bytes nobody reads.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (!usable || socket.destroyed) throw new Error('connection closed by the collector');
      const frames = Buffer.concat(messages.map(octetCountedFrame));
      return new Promise<void>((resolve, reject) => {
        const onClose = () => reject(new Error('connection closed while sending'));
        socket.once('close', onClose);
        socket.write(frames, (error) => {
          socket.off('close', onClose);
          if (error) reject(error);
          else resolve();
        });
      });
    },
    close() {
      usable = false;
      socket.end();
      socket.destroy();
    },
  };
}

export async function openSyslogConnection(endpoint: SyslogEndpoint): Promise<SyslogConnection> {
  return endpoint.transport === 'udp' ? udpConnection(endpoint) : streamConnection(endpoint);
}
