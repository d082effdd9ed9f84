#!/usr/bin/env node
// Runs the compiled bundle that `npm run build` writes (scripts/build.mjs): a host runs plain
// JavaScript, never the TypeScript sources through a run-time transpiler.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/bulwark.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    `bulwark: ${fileURLToPath(bundle)} is missing: run \`npm run build\` in the Bulwark checkout first.\n`,
  );
  process.exit(1);
}
await import(bundle.href);
