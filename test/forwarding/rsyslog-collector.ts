import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Why the real collector cannot run here, or null when it can. */
export function rsyslogUnavailable(): string | null {
  if (!existsSync(RSYSLOGD))
    return 'needs rsyslog: /usr/sbin/rsyslogd is missing (apt-get install rsyslog rsyslog-gnutls)';
  if (!existsSync('/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so') && !existsSync('/usr/lib/rsyslog/lmnsd_gtls.so'))
    return 'needs rsyslog-gnutls (TLS stream driver)';
  try {
    execFileSync('certtool', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'needs gnutls-bin (certtool)';
  }
  return null;
}

async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * A real rsyslogd on loopback with one listener per transport, each writing the raw message it
 * received (one per line, control characters kept) to its own file.
 */
export class RsyslogCollector {
  readonly dir = mkdtempSync(join(tmpdir(), 'bulwark-rsyslog-'));
  readonly certificatePem: string;
  ports = { udp: 0, tcp: 0, tls: 0 };
  private child: ChildProcess | null = null;
  private stderr = '';

  private constructor() {
    const key = join(this.dir, 'key.pem');
    const cert = join(this.dir, 'cert.pem');
    const template = join(this.dir, 'cert.cfg');
    writeFileSync(
      template,
      'cn = "127.0.0.1"\nip_address = "127.0.0.1"\nca\ncert_signing_key\nsigning_key\nencryption_key\ntls_www_server\nexpiration_days = 2\n',
    );
    execFileSync('certtool', ['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', key], {
      stdio: 'ignore',
    });
    execFileSync(
      'certtool',
      ['--generate-self-signed', '--load-privkey', key, '--template', template, '--outfile', cert],
      { stdio: 'ignore' },
    );
    this.certificatePem = readFileSync(cert, 'utf8');
  }

  static async start(): Promise<RsyslogCollector> {
    const collector = new RsyslogCollector();
    collector.ports = { udp: await freeUdpPort(), tcp: await freeTcpPort(), tls: await freeTcpPort() };
    await collector.resume();
    return collector;
  }

  output(transport: 'udp' | 'tcp' | 'tls'): string {
    return join(this.dir, `${transport}.log`);
  }

  /** The messages received so far on one transport. */
  lines(transport: 'udp' | 'tcp' | 'tls'): string[] {
    const file = this.output(transport);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').slice(0, -1);
  }

  private config(): string {
    const d = this.dir;
    return `global(workDirectory="${d}" maxMessageSize="64k"
  parser.escapeControlCharactersOnReceive="off"
  defaultNetstreamDriverCAFile="${d}/cert.pem"
  defaultNetstreamDriverCertFile="${d}/cert.pem"
  defaultNetstreamDriverKeyFile="${d}/key.pem")
module(load="imudp")
module(load="imtcp" maxSessions="100")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="udp") { action(type="omfile" file="${this.output('udp')}" template="raw") }
ruleset(name="tcp") { action(type="omfile" file="${this.output('tcp')}" template="raw") }
ruleset(name="tls") { action(type="omfile" file="${this.output('tls')}" template="raw") }
input(type="imudp" address="127.0.0.1" port="${this.ports.udp}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${this.ports.tcp}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="${this.ports.tls}" ruleset="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
`;
  }

  /** Starts rsyslogd (again) on the same ports and waits until both TCP listeners accept. */
  async resume(): Promise<void> {
    const conf = join(this.dir, 'rsyslog.conf');
    writeFileSync(conf, this.config());
    this.stderr = '';
    const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child = child;
    const deadline = Date.now() + 15_000;
    for (const port of [this.ports.tcp, this.ports.tls]) {
      while (!(await accepts(port))) {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited ${child.exitCode}: ${this.stderr}`);
        if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${port}: ${this.stderr}`);
        await sleep(50);
      }
    }
    // imudp binds with the others; give it the same start-up moment.
    await sleep(100);
  }

  /** Stops rsyslogd and waits for it to exit (its listeners are closed then). */
  async pause(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Waits until `predicate` holds over the lines of a transport; throws with what arrived otherwise. */
  async waitFor(
    transport: 'udp' | 'tcp' | 'tls',
    predicate: (lines: string[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.lines(transport);
      if (predicate(lines)) return lines;
      if (Date.now() > deadline)
        throw new Error(`rsyslog ${transport}: ${lines.length} lines after ${timeoutMs} ms; stderr: ${this.stderr}`);
      await sleep(50);
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
