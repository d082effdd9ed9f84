#!/usr/bin/env node
// Starts a protection module from modules/_template: `npm run new-module -- <id>`.
// Copies the template to modules/<id> with its names replaced, writes its package.json, and adds
// it to the two registries and to the platform packages' dependencies. Then: `npm install` (links
// the new workspace), `npm run build`, `npm test -- modules/<id>`.
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run new-module -- <id> [--root DIR]
  <id>        the module id: lower-case letters and digits, starting with a letter (e.g. webrep)
  --root DIR  the repository to add it to (default: this one)`;

const RESERVED = new Set(['template', 'platform', 'agent', 'manager', 'protocol', 'kernel']);

function fail(message) {
  console.error(`new-module: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { root: { type: 'string' }, help: { type: 'boolean' } } });
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [id, ...extra] = parsed.positionals;
if (id === undefined || extra.length > 0) fail(`give one module id\n${USAGE}`);
if (!/^[a-z][a-z0-9]{1,31}$/.test(id))
  fail(`"${id}" is not a module id: lower-case letters and digits, 2-32, starting with a letter`);
if (RESERVED.has(id)) fail(`"${id}" is reserved`);

const root = parsed.values.root ?? new URL('..', import.meta.url).pathname;
const template = join(root, 'modules', '_template');
const target = join(root, 'modules', id);
if (!existsSync(template)) fail(`no template at ${template}`);
if (existsSync(target)) fail(`modules/${id} exists already`);

const pascal = id[0].toUpperCase() + id.slice(1);
const rename = (text) => text.replaceAll('Template', pascal).replaceAll('template', id);

// 1. The module folder: every file copied with its names replaced; the guide stays behind.
cpSync(template, target, { recursive: true });
rmSync(join(target, 'README.md'));
renameSync(join(target, 'README.module.md'), join(target, 'README.md'));
renameSync(join(target, 'package.json.tmpl'), join(target, 'package.json'));
function rewrite(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      rewrite(path);
      continue;
    }
    writeFileSync(path, rename(readFileSync(path, 'utf8')));
    if (name.includes('template')) renameSync(path, join(dir, rename(name)));
  }
}
rewrite(target);

// 2. One entry in each registry: an import and its name on the manager's side; on the agent's, an
// entry that imports the module when the agent needs it (packages/platform-agent/src/modules/module-entry.ts).
function addManagerEntry(file) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const source = `@bulwark/module-${id}/manager`;
  const importLine = `import { managerModule as ${id} } from '${source}';\n`;
  const lastImport = text.lastIndexOf('\nimport ');
  const close = text.lastIndexOf('];');
  if (lastImport < 0 || close < 0) fail(`${file} does not have the shape this script expects; add the module by hand`);
  // The import goes where the linter's import order puts it: before the first import whose source sorts after it.
  let afterImports = text.indexOf('\n', lastImport + 1) + 1;
  for (const match of text.matchAll(/^import [^\n]* from '([^']+)';\n/gm)) {
    if (match[1] > source) {
      afterImports = match.index;
      break;
    }
  }
  // The list is one line (`[a, b]`) or one entry a line; either way the new entry goes last.
  const before = text.slice(0, close);
  const withEntry = before.endsWith('\n')
    ? `${before}  ${id},\n${text.slice(close)}`
    : `${before.replace(/,?\s*$/, '')}, ${id}${text.slice(close)}`;
  writeFileSync(path, withEntry.slice(0, afterImports) + importLine + withEntry.slice(afterImports));
}

function addAgentEntry(file) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const close = text.lastIndexOf('];');
  if (close < 0 || !text.slice(0, close).endsWith('\n'))
    fail(`${file} does not have the shape this script expects; add the module by hand`);
  const entry = `  { id: '${id}', load: async () => (await import('@bulwark/module-${id}/agent')).agentModule },\n`;
  writeFileSync(path, text.slice(0, close) + entry + text.slice(close));
}

addManagerEntry('packages/platform-manager/src/modules/registry.ts');
addAgentEntry('packages/platform-agent/src/modules/registry.ts');

// 3. The platform packages depend on it (npm install links the workspace).
for (const pkg of ['packages/platform-manager/package.json', 'packages/platform-agent/package.json']) {
  const path = join(root, pkg);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.dependencies = Object.fromEntries(
    Object.entries({ ...json.dependencies, [`@bulwark/module-${id}`]: '0.1.0' }).sort(([a], [b]) => a.localeCompare(b)),
  );
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}

console.log(`modules/${id} created from the template and registered.
Next:
  npm install                 # links @bulwark/module-${id}
  npm run build && npm test -- modules/${id}
Then replace the example rule, settings and command with your module's own (modules/_template/README.md says what a module must provide).`);
