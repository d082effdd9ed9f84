/**
 * The module contract's promise, kept by a test: the platform (packages/) names no module outside
 * its two registries, and a module's engine/ stays pure (no I/O, no clock, no timers, no
 * randomness), so it can be tested with data alone and replayed deterministically.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Source files under `dir` (not tests, not dependencies, not build output). */
function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) && !/^test-/.test(name)) out.push(path);
  }
  return out;
}

/** Every module folder, plus the ids of modules the product plans (DESIGN.md), so none slips in early. */
function moduleIds(): string[] {
  const present = readdirSync(join(root, 'modules')).filter(
    (name) => !name.startsWith('_') && statSync(join(root, 'modules', name)).isDirectory(),
  );
  return [...new Set([...present, 'ips', 'antimalware', 'webrep', 'appcontrol', 'devicecontrol'])];
}

/**
 * Words that are a module id and also a platform concept, where they stand for the concept: the
 * host inventory is carried by the agent API and shown by the platform (`bulwark computers
 * inventory`); the inventory module only collects it.
 */
const PLATFORM_WORDS: Readonly<Record<string, readonly string[]>> = {
  'packages/platform-manager/src/admin-cli/commands/computers-manage.ts': ['inventory'],
};

/** The one file per side that lists the modules. */
const REGISTRIES = new Set([
  'packages/platform-manager/src/modules/registry.ts',
  'packages/platform-agent/src/modules/registry.ts',
]);

export function moduleNamesIn(text: string, ids: readonly string[]): string[] {
  const code = withoutComments(text);
  const found: string[] = [];
  for (const id of ids) {
    const literal = new RegExp(`['"\`]${id}['"\`.]|@bulwark/module-${id}\\b`);
    if (literal.test(code)) found.push(id);
  }
  return found;
}

/** What a pure engine must not reach for: a name and the pattern that finds it. */
const IMPURE: readonly (readonly [string, RegExp])[] = [
  [
    'a node: module with I/O',
    /from ['"]node:(fs|fs\/promises|child_process|timers|timers\/promises|dgram|http|https|http2|tls|dns|worker_threads|os|process|cluster|readline|stream)['"]/,
  ],
  ['a bare Node built-in', /from ['"](fs|child_process|net|timers|dgram|http|https|os)['"]/],
  ['the clock (Date.now, new Date(), performance.now)', /\bDate\.now\s*\(|new Date\(\s*\)|\bperformance\.now\s*\(/],
  ['timers', /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/],
  ['randomness', /\bMath\.random\s*\(|\bcrypto\.getRandomValues\b|\brandomUUID\b/],
  ['the process', /\bprocess\.(env|argv|cwd|exit|hrtime|stdout|stderr|pid)\b/],
  ['a platform package', /from ['"]@bulwark\/platform-/],
];

/** node:net is allowed for its pure address checks only. */
const PURE_NET = new Set(['isIP', 'isIPv4', 'isIPv6']);

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

export function impuritiesIn(text: string): string[] {
  const code = withoutComments(text);
  const found = IMPURE.filter(([, pattern]) => pattern.test(code)).map(([what]) => what);
  for (const match of code.matchAll(/import\s+([^;]*?)\s+from\s+['"]node:net['"]/g)) {
    const names = /^\{([^}]*)\}$/
      .exec(match[1]!.trim())?.[1]
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    if (names === undefined || names.some((n) => !PURE_NET.has(n))) found.push('node:net beyond isIP/isIPv4/isIPv6');
  }
  return found;
}

describe('module boundary', () => {
  const ids = moduleIds();

  it('finds a module name and an impurity when one is there (the checks can fail)', () => {
    assert.deepEqual(moduleNamesIn("if (m === 'firewall') {}", ids), ['firewall']);
    assert.deepEqual(moduleNamesIn("import x from '@bulwark/module-integrity/engine';", ids), ['integrity']);
    assert.deepEqual(moduleNamesIn("const a = 'firewalls';", ids), []);
    assert.deepEqual(impuritiesIn("import { readFileSync } from 'node:fs';"), ['a node: module with I/O']);
    assert.deepEqual(impuritiesIn("import { isIPv4, connect } from 'node:net';"), [
      'node:net beyond isIP/isIPv4/isIPv6',
    ]);
    assert.deepEqual(impuritiesIn("import { isIPv4, isIPv6 } from 'node:net';"), []);
    assert.deepEqual(impuritiesIn('const t = Date.now();'), ['the clock (Date.now, new Date(), performance.now)']);
    assert.deepEqual(impuritiesIn('// Date.now() is not used here\nconst d = new Date(ms);'), []);
  });

  it('the platform names no module outside the two registries', () => {
    const leaks: string[] = [];
    for (const path of sources(join(root, 'packages'))) {
      const file = relative(root, path);
      if (REGISTRIES.has(file)) continue;
      const allowed = PLATFORM_WORDS[file] ?? [];
      const names = moduleNamesIn(readFileSync(path, 'utf8'), ids).filter((id) => !allowed.includes(id));
      if (names.length > 0) leaks.push(`${file}: ${names.join(', ')}`);
    }
    assert.deepEqual(
      leaks,
      [],
      'move module specifics behind the module contract (packages/protocol/src/module-contract.ts)',
    );
  });

  it("no module's agent/ or engine/ imports its manager/ (the agent never loads manager code)", () => {
    const crossing: string[] = [];
    for (const id of readdirSync(join(root, 'modules'))) {
      for (const side of ['agent', 'engine']) {
        let files: string[];
        try {
          files = sources(join(root, 'modules', id, side));
        } catch {
          continue;
        }
        for (const path of files) {
          if (/from ['"](\.\.\/manager\/|@bulwark\/module-[a-z0-9]+\/manager)/.test(readFileSync(path, 'utf8')))
            crossing.push(relative(root, path));
        }
      }
    }
    assert.deepEqual(crossing, [], 'move what both sides need (schemas of the configuration) to engine/');
  });

  it('every engine/ is pure: no I/O, clock, timers, randomness or platform import', () => {
    const impure: string[] = [];
    for (const id of readdirSync(join(root, 'modules'))) {
      const engine = join(root, 'modules', id, 'engine');
      if (!statSync(join(root, 'modules', id)).isDirectory()) continue;
      let files: string[];
      try {
        files = sources(engine);
      } catch {
        continue; // a module without an engine folder
      }
      for (const path of files) {
        const found = impuritiesIn(readFileSync(path, 'utf8'));
        if (found.length > 0) impure.push(`${relative(root, path)}: ${found.join(', ')}`);
      }
    }
    assert.deepEqual(impure, [], 'engines take time, randomness and data as inputs; the agent/ adapter does the I/O');
  });
});
