import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningManager, startManager } from '@bulwark/platform-manager';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { bearer, call, type HttpAnswer, makeKeyAndCsr } from '../manager/manager-harness.js';

export const CHROMIUM = '/usr/bin/chromium';
const repoRoot = new URL('../../', import.meta.url).pathname;
export const ARTIFACTS = join(repoRoot, 'test-artifacts/console');

/** Why the browser tests cannot run here, or null. Under CI=true a missing chromium fails instead. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} is not installed (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`CI must have chromium: ${reason}`);
  console.log(`# skipped: ${reason}`);
  return reason;
}

/** The console as `npm run build` makes it, built for this test file into a folder of its own (files run two at once). */
export async function buildConsoleInto(dir: string): Promise<void> {
  const consoleRoot = join(repoRoot, 'packages/console');
  await build({
    configFile: join(consoleRoot, 'vite.config.ts'),
    root: consoleRoot,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true },
  });
}

export interface ConsoleManager {
  readonly manager: RunningManager;
  readonly url: string;
  /** The first administrator's printed password. */
  readonly adminPassword: string;
  close(): Promise<void>;
}

/** A real manager on SQLite in a temporary folder, serving a console built for this test. */
export async function startConsoleManager(): Promise<ConsoleManager> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-console-test-'));
  const consoleDir = join(dataDir, 'console');
  await buildConsoleInto(consoleDir);
  const manager = await startManager({
    dataDir,
    consoleDir,
    consolePort: 0,
    agentPort: 0,
    listenAddress: '127.0.0.1',
    logger: false,
  });
  if (manager.initialAdminPassword === null) throw new Error('a fresh manager printed no first password');
  return {
    manager,
    url: manager.consoleUrl,
    adminPassword: manager.initialAdminPassword,
    async close() {
      await manager.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page logged (CSP violations, exceptions): the tests assert there are none. */
  readonly errors: string[];
  /** Saves a screenshot as a test artefact: test-artifacts/console/<name>.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Debian's chromium, headless, with a fresh profile, a laptop-sized window by default. */
export async function openBrowser(viewport = { width: 1366, height: 768 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'bulwark-console-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // The manager's certificate is signed by its own CA, made for this test.
    ignoreHTTPSErrors: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    async shot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in page. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface FakeAgent {
  readonly computerId: string;
  /** Uploads events as the agent does (POST /agent/v1/events with its client certificate). */
  sendEvents(events: readonly Record<string, unknown>[]): Promise<void>;
}

/**
 * An agent as the manager sees it, through the agent API with a real client certificate
 * (test/manager/fake-agent-flow.ts does the same): activation with a token, one heartbeat.
 */
export async function activateFakeAgent(
  manager: RunningManager,
  adminKey: string,
  hostname: string,
  policyId: string | null,
): Promise<FakeAgent> {
  const ca = manager.caCertPem;
  const token = await call(`${manager.consoleUrl}/api/activation-tokens`, {
    body: { name: hostname, maxUses: 1, ...(policyId === null ? {} : { policyId }) },
    headers: bearer(adminKey),
    ca,
  });
  if (token.status !== 201) throw new Error(`token: ${token.text}`);
  const { keyPem, csrPem } = await makeKeyAndCsr();
  const activation = await call(`${manager.agentUrl}/agent/v1/activate`, {
    body: { token: token.json.token, csr: csrPem, hostname, agentVersion: '0.1.0' },
    ca,
  });
  if (activation.status !== 200) throw new Error(`activation: ${activation.text}`);
  const tls = { key: keyPem, cert: activation.json.certificate as string, ca };
  const heartbeat = await call(`${manager.agentUrl}/agent/v1/heartbeat`, {
    body: {
      appliedConfigurationVersion: null,
      modules: [{ id: 'firewall', state: 'on' }],
      spool: { pendingEvents: 0, droppedEvents: 0 },
      agentVersion: '0.1.0',
    },
    ...tls,
  });
  if (heartbeat.status !== 200) throw new Error(`heartbeat: ${heartbeat.text}`);
  let seq = 0;
  return {
    computerId: activation.json.computerId as string,
    async sendEvents(events) {
      const body = { events: events.map((e) => ({ seq: ++seq, time: new Date().toISOString(), ...e })) };
      const answer = await call(`${manager.agentUrl}/agent/v1/events`, { body, ...tls });
      if (answer.status !== 200 || answer.json.accepted !== events.length) throw new Error(`events: ${answer.text}`);
    },
  };
}

/** An API key of `role`, made through the services as `bulwark-manager api-key create` does. */
export async function apiKey(manager: RunningManager, role: 'administrator' | 'operator' | 'auditor'): Promise<string> {
  const created = await manager.services.apiKeys.create({ name: `console test ${role}`, role }, SYSTEM);
  if (!created.ok) throw new Error(created.error.message);
  return created.value.key;
}

/** A console user (no forced password change: only the first administrator has one). */
export async function createUser(
  manager: RunningManager,
  username: string,
  password: string,
  role: 'administrator' | 'operator' | 'auditor',
): Promise<void> {
  const created = await manager.services.users.create({ username, password, role }, SYSTEM);
  if (!created.ok) throw new Error(created.error.message);
}

const SYSTEM = { kind: 'system', id: null, name: 'console test' } as const;

/** The API as a test checks what the console did. */
export async function apiGet(manager: RunningManager, key: string, path: string): Promise<HttpAnswer> {
  return call(`${manager.consoleUrl}${path}`, { headers: bearer(key), ca: manager.caCertPem });
}

export async function apiSend(manager: RunningManager, key: string, method: string, path: string, body: unknown) {
  const answer = await call(`${manager.consoleUrl}${path}`, {
    method,
    body,
    headers: bearer(key),
    ca: manager.caCertPem,
  });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  return answer;
}
