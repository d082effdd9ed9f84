/**
 * The agent path: the loginspect agent module (its public factory, as the agent's module runtime
 * creates it) follows a real file in a temporary directory while another process (`cat`) appends
 * the corpus to it; every line goes through the module's file follower (stat, read, line
 * splitting, checkpoints), the engine and the module's event filter, and every event it emits
 * goes into the real agent event spool (SQLite, WAL, batched commits with fsync) in the same
 * directory. Timed from the first appended byte until the module has counted every line and the
 * spool has committed every event (close()). The writer's CPU is not counted: it is another process.
 *
 * The module loads its built-in ruleset; the Wazuh ruleset goes in through the only door the
 * module has for more, its custom decoders and rules (one entry per Wazuh file, after the
 * built-in files), so rules that need a CDB list (custom rules carry none) or reuse a built-in
 * id are refused and counted. Events are the alerts of level 5 and above (the default minimum).
 *
 *   node --import tsx bench/loginspect/agent-path.ts --corpus FILE --ruleset DIR [--dir DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventSpool, moduleStateFileWriter } from '@bulwark/platform-agent';
import { type AgentModule, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { createLogInspectAgentFactory } from '../../modules/loginspect/agent/index.js';
import { describeRate, startStopwatch } from './cpu-time.js';

const BUILT_IN_GROUPS = [
  'accounts',
  'auditd',
  'cron',
  'database',
  'kernel',
  'packages',
  'pam',
  'sshd',
  'su',
  'sudo',
  'systemd',
  'web',
];

function wazuhAsCustomRules(rulesetDir: string): { id: string; decodersXml: string; rulesXml: string }[] {
  const read = (sub: string) =>
    readdirSync(join(rulesetDir, sub))
      .filter((n) => n.endsWith('.xml'))
      .sort()
      .map((n) => ({ name: `wazuh/${sub}/${n}`, content: readFileSync(join(rulesetDir, sub, n), 'utf8') }));
  return [
    ...read('decoders').map((f) => ({ id: f.name, decodersXml: f.content, rulesXml: '' })),
    ...read('rules').map((f) => ({ id: f.name, decodersXml: '', rulesXml: f.content })),
  ];
}

function countLines(path: string): number {
  const data = readFileSync(path);
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function runAgentPath(corpusPath: string, rulesetDir: string, baseDir: string): Promise<void> {
  const dir = mkdtempSync(join(baseDir, 'bulwark-loginspect-bench-'));
  try {
    const logFile = join(dir, 'auth.log');
    writeFileSync(logFile, '');
    const lines = countLines(corpusPath);
    const spool = EventSpool.open(join(dir, 'spool', 'events.db'), { maxEvents: 10_000_000 });
    let refused = 0;
    let spoolFailures = 0;
    const module: AgentModule = createLogInspectAgentFactory({ pollMs: 10, readRoots: [dir] }).create({
      dataDir: join(dir, 'module'),
      log: {
        info() {},
        warn: (message) => {
          if (message.includes('refused')) refused++;
        },
        error: (message) => console.log(`agent path: ${message}`),
      },
      emit: (event) => {
        try {
          spool.emit(event);
        } catch {
          spoolFailures++;
        }
      },
      // Reading positions go into the spool with each event, in its transaction, as the agent
      // daemon wires them; without this the module falls back to rewriting a checkpoint file
      // (two fsyncs) per event, the path kept for unit tests, which this bench measured by mistake.
      sourceSpool: {
        checkpoints: () => spool.checkpoints('loginspect'),
        emit: (event, checkpoints) => spool.emit(event, { module: 'loginspect', checkpoints }),
        advance: (checkpoints) => spool.advance('loginspect', checkpoints),
      },
      reportInventory() {},
      writeStateFile: moduleStateFileWriter(join(dir, 'module')),
    });
    const configuration = {
      minimumLevel: 5,
      sources: { files: [logFile], journald: false },
      builtInGroups: BUILT_IN_GROUPS,
      custom: wazuhAsCustomRules(rulesetDir),
      rejectedRules: [],
    };
    const compileStart = performance.now();
    await module.apply({ enabled: true, configuration }, Value.Create(PlatformSettings));
    const compileMs = Math.round(performance.now() - compileStart);
    const started = module.status();
    if (started.state !== 'on') throw new Error(`the module did not start: ${started.reason ?? started.state}`);

    const counter = (name: string): number => module.status().counters?.[name] ?? 0;
    const watch = startStopwatch();
    const writer = spawn('sh', ['-c', 'cat "$1" >> "$2"', 'sh', corpusPath, logFile], { stdio: 'ignore' });
    const written = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    const finished = await waitFor(() => counter('lines') >= lines, 30 * 60_000);
    const counters = module.status().counters ?? {};
    await module.stop();
    spool.close(); // commits what is still queued: the figure counts durable events only
    const m = watch.stop();
    if ((await written) !== 0) throw new Error('appending the corpus failed');
    if (!finished) throw new Error(`the module counted ${counter('lines')} of ${lines} lines in 30 minutes`);
    console.log(
      `agent path (file → follower → engine → event spool): ${describeRate(lines, 'events', m)}; ` +
        `${counters.alerts ?? 0} alerts, ${counters.events ?? 0} events spooled${spoolFailures ? `, ${spoolFailures} spool failures` : ''}; ` +
        `ruleset compiled by the module in ${compileMs} ms, ${refused} decoders/rules refused; ` +
        `files in ${dir} (filesystem type 0x${statfsSync(dir).type.toString(16)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string' },
      ruleset: { type: 'string' },
      dir: { type: 'string', default: tmpdir() },
    },
  });
  if (!values.corpus || !values.ruleset) {
    console.error('usage: agent-path.ts --corpus FILE --ruleset DIR [--dir DIR]');
    process.exit(2);
  }
  await runAgentPath(values.corpus, values.ruleset, values.dir as string);
}
