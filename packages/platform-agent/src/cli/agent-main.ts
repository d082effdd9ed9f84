import { runAgentCli } from './run-agent-cli.js';

// The daemon stops gracefully on SIGTERM (systemd) and SIGINT (a terminal).
const shutdownSignal = new Promise<string>((resolve) => {
  process.once('SIGTERM', () => resolve('SIGTERM'));
  process.once('SIGINT', () => resolve('SIGINT'));
});

const code = await runAgentCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  shutdownSignal,
});
process.exitCode = code;
// Keep-alive sockets and module timers must not hold a finished command open.
setTimeout(() => process.exit(code), 2000).unref();
