#!/usr/bin/env node
// `npm start`: the manager on the embedded SQLite store, data under .bulwark-data/manager in this
// checkout (or $BULWARK_DATA_DIR, the same folder `bulwark-manager` reads it as). As root it also activates and runs a local agent, assigned to
// a "Local host (detect only)" policy whose network engine mode is tap, so that nothing on this
// machine is blocked until an administrator decides so.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const repo = resolve(new URL('..', import.meta.url).pathname);
const agentBin = join(repo, 'packages/platform-agent/bin/bulwark-agent.js');
const managerBin = join(repo, 'packages/platform-manager/bin/bulwark-manager.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const LOCAL_POLICY = 'Local host (detect only)';

// The compiled manager (npm start runs `scripts/build.mjs --bundle-only` first).
const managerBundle = join(repo, 'packages/platform-manager/dist/manager.js');
if (!existsSync(managerBundle)) {
  console.error(`${managerBundle} is missing: run \`npm run build\` first.`);
  process.exit(1);
}
const { startManager, parseManagerArguments, checkoutDataDirs, createApiKeyCommandLine } = await import(
  pathToFileURL(managerBundle).href
);
const SYSTEM_ACTOR = { kind: 'system', id: null, name: 'npm start' };
const { managerDir, agentDir } = checkoutDataDirs(repo);
// The same options and variables as bulwark-manager (BULWARK_CONSOLE_PORT, BULWARK_LISTEN_ADDRESS, …), quieter by default.
const parsed = parseManagerArguments(process.argv.slice(2), {
  BULWARK_LOG_LEVEL: 'warn',
  ...process.env,
  BULWARK_DATA_DIR: managerDir,
});
if (!parsed.ok || parsed.value.command !== 'serve') {
  console.error(`npm start: ${parsed.ok ? 'takes the options of bulwark-manager, not a command' : parsed.message}`);
  process.exit(2);
}
const options = parsed.value;
mkdirSync(managerDir, { recursive: true });

const manager = await startManager({
  dataDir: managerDir,
  ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  consolePort: options.consolePort,
  agentPort: options.agentPort,
  listenAddress: options.listenAddress,
  serverNames: options.serverNames,
  logger: { level: options.logLevel },
  eventRetentionDays: options.eventRetentionDays,
});
const caFile = join(managerDir, 'pki', 'ca.crt');

const lines = [
  '',
  'Bulwark manager is running.',
  `  console/API  ${manager.consoleUrl}/api   (OpenAPI: ${manager.consoleUrl}/api/docs)`,
  `  web console  ${manager.consoleUrl}/   (sign in as admin)`,
  `  agent port   ${manager.agentUrl}   (mutual TLS)`,
  `  data         ${managerDir}`,
  `  CA           ${caFile}`,
  `               sha256 ${manager.caFingerprint}`,
];
if (manager.initialAdminPassword) {
  lines.push(
    '',
    'First start: an administrator was created. This password is shown only once:',
    `  username admin`,
    `  password ${manager.initialAdminPassword}`,
    '  (the first sign-in, in the console or PUT /api/me/password, must replace it; nothing else is allowed until then)',
  );
}
lines.push(
  '',
  'API key for the CLI (prints a new administrator key):',
  `  node ${managerBin} ${createApiKeyCommandLine(managerDir, options.databaseUrl).replace(/^bulwark-manager /, '')}`,
  `  then: npx bulwark --manager ${manager.consoleUrl} --api-key KEY --ca ${caFile} computers list`,
);
console.log(lines.join('\n'));

let agent = null;
if (isRoot) {
  agent = await startLocalAgent();
} else {
  console.log(
    [
      '',
      'Not running as root, so no local agent was started. To protect this host, run `sudo npm start`,',
      `or create a token (bulwark tokens create, which prints the line) and run: bulwark-agent activate --manager ${manager.agentUrl} --token T`,
    ].join('\n'),
  );
}

async function startLocalAgent() {
  mkdirSync(agentDir, { recursive: true });
  if (!existsSync(join(agentDir, 'identity.json'))) {
    const token = await localActivationToken();
    // Asynchronous on purpose: the manager answering this activation runs in this very process.
    try {
      await promisify(execFile)(process.execPath, [
        agentBin,
        'activate',
        '--manager',
        manager.agentUrl,
        '--token',
        token,
        '--ca',
        caFile,
        '--data-dir',
        agentDir,
      ]);
    } catch (error) {
      console.error(`The local agent could not be activated:\n${error.stderr || error.message}`);
      return null;
    }
  }
  const child = spawn(process.execPath, [agentBin, 'run', '--data-dir', agentDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`The local agent stopped (${signal ?? `exit ${code}`}).`);
  });
  console.log(
    `\nLocal agent running (data ${agentDir}), assigned to "${LOCAL_POLICY}": network modules only detect.\n` +
      `  status: node ${agentBin} status --data-dir ${agentDir}`,
  );
  return child;
}

/** A one-use token bound to the detect-only policy, created on first start. */
async function localActivationToken() {
  const s = manager.services;
  const policies = unwrap(await s.policies.list());
  let policy = policies.find((p) => p.name === LOCAL_POLICY);
  if (!policy) {
    policy = unwrap(
      await s.policies.create(
        { name: LOCAL_POLICY, description: 'Created by npm start: detect-only posture for the local host' },
        SYSTEM_ACTOR,
      ),
    );
    unwrap(await s.settings.set({ kind: 'policy', id: policy.id }, 'platform.networkEngineMode', 'tap', SYSTEM_ACTOR));
  }
  const created = unwrap(
    await s.activationTokens.create(
      {
        name: 'local agent (npm start)',
        maxUses: 1,
        policyId: policy.id,
        expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
      },
      SYSTEM_ACTOR,
    ),
  );
  return created.token;
}

function unwrap(result) {
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping.`);
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((done) => agent.once('exit', done));
  }
  await manager.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
