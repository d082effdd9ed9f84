/**
 * nginx + ModSecurity v3 + OWASP CRS as Debian ships them (nginx, libnginx-mod-http-modsecurity,
 * modsecurity-crs), started for one run in a private folder: the stock ModSecurity configuration
 * with the engine switched from DetectionOnly to On, CRS at its default paranoia level, and a
 * backend that answers 200 to everything, so any other status is nginx or ModSecurity refusing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const MODULE = '/usr/share/nginx/modules/ngx_http_modsecurity_module.so';
const STOCK_CONFIG = '/etc/nginx/modsecurity.conf';
const CRS_LOAD = '/usr/share/modsecurity-crs/owasp-crs.load';

export function yardstickMissing(): string | undefined {
  for (const path of ['/usr/sbin/nginx', MODULE, STOCK_CONFIG, CRS_LOAD]) {
    if (!existsSync(path))
      return `${path} is missing (apt-get install nginx libnginx-mod-http-modsecurity modsecurity-crs)`;
  }
  return undefined;
}

export interface Yardstick {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startYardstick(dir: string, port: number): Promise<Yardstick> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const modsec = readFileSync(STOCK_CONFIG, 'utf8')
    .replace(/^SecRuleEngine .*$/m, 'SecRuleEngine On')
    .replace(/^SecAuditEngine .*$/m, 'SecAuditEngine Off')
    .replace(/^SecAuditLog .*$/m, '')
    .replace(/^SecStatusEngine .*$/m, 'SecStatusEngine Off')
    .replace(/^SecUnicodeMapFile unicode\.mapping/m, 'SecUnicodeMapFile /etc/nginx/unicode.mapping')
    .replace(/^SecTmpDir .*$/m, `SecTmpDir ${dir}/tmp`)
    .replace(/^SecDataDir .*$/m, `SecDataDir ${dir}/tmp`);
  // owasp-crs.load's includes, spelled for libmodsecurity3 (which has no IncludeOptional).
  const crs = [
    'Include /etc/modsecurity/crs/crs-setup.conf',
    'Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf',
    'Include /usr/share/modsecurity-crs/rules/*.conf',
    'Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf',
  ];
  writeFileSync(join(dir, 'modsec.conf'), `${modsec}\n${crs.join('\n')}\n`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `load_module ${MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    modsecurity on;
    modsecurity_rules_file ${dir}/modsec.conf;
    location / { proxy_pass http://127.0.0.1:${port + 1}; }
  }
  server {
    listen 127.0.0.1:${port + 1};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    const status = await send(
      port,
      Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
    ).catch(() => 0);
    if (status === 200) break;
    if (attempt > 200 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(
        `nginx did not start: ${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends raw bytes on a new connection; the status code of the answer, or 0 when none came. */
export function send(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (status: number) => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(timeoutMs, () => done(0));
    socket.on('error', (e) => (answer === '' ? reject(e) : done(0)));
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(answer);
      if (m) done(Number(m[1]));
    });
    socket.on('close', () => done(0));
  });
}
