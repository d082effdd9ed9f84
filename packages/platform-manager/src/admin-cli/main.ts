import { runCli } from './run-cli.js';

// Entry of `bulwark` (bin/bulwark.js). Everything but the process itself lives in run-cli.ts.
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
