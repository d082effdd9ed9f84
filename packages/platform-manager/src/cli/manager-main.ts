import { defaultLoggerOptions, startManager } from '../manager.js';
import { readClusterKeyFile } from './cluster-key-file.js';
import { parseManagerArguments, type ServeCommand, USAGE } from './manager-arguments.js';
import { createApiKeyCommandLine, createApiKeyOffline } from './offline-api-key.js';

const parsed = parseManagerArguments(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`bulwark-manager: ${parsed.message}\n\n${USAGE}`);
  process.exit(2);
}
const command = parsed.value;
if (command.command === 'help') {
  process.stdout.write(USAGE);
} else if (command.command === 'create-api-key') {
  process.exitCode = await createApiKeyOffline(command, process);
} else {
  await serve(command);
}

async function serve(options: ServeCommand): Promise<void> {
  // Signals are handled from the first moment, so one that arrives while starting still stops cleanly.
  let stopRequested: string | null = null;
  let stopNow: ((signal: string) => void) | null = null;
  const onSignal = (signal: string) => {
    if (stopRequested !== null) return;
    stopRequested = signal;
    stopNow?.(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  let clusterKey: string | undefined;
  if (options.clusterKeyFile !== undefined) {
    const read = readClusterKeyFile(options.clusterKeyFile);
    if (!read.ok) {
      process.stderr.write(`bulwark-manager: could not start: ${read.reason}\n`);
      process.exit(1);
    }
    clusterKey = read.key;
  }

  let manager: Awaited<ReturnType<typeof startManager>>;
  try {
    manager = await startManager({
      dataDir: options.dataDir,
      ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
      consolePort: options.consolePort,
      agentPort: options.agentPort,
      listenAddress: options.listenAddress,
      serverNames: options.serverNames,
      logger: defaultLoggerOptions(options.logLevel),
      eventRetentionDays: options.eventRetentionDays,
      ...(clusterKey === undefined ? {} : { clusterKey }),
      ...(options.advertiseUrl === undefined ? {} : { advertiseUrl: options.advertiseUrl }),
    });
  } catch (error) {
    process.stderr.write(`bulwark-manager: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const lines = [
    '',
    `Bulwark manager ${manager.version}`,
    `  console/API:  ${manager.consoleUrl}   (OpenAPI: ${manager.consoleUrl}/api/docs)`,
    `  agents:       ${manager.agentUrl}`,
    `  data:         ${options.dataDir}${options.databaseUrl === undefined ? '' : ' (database: PostgreSQL)'}`,
    `  CA SHA-256:   ${manager.caFingerprint}`,
    '                pin it: bulwark --ca-fingerprint <it>; activation tokens carry it (bulwark tokens create)',
  ];
  if (manager.initialAdminPassword !== null) {
    lines.push(
      '',
      '  First start: a console administrator was created. Its password is shown only this once:',
      '    username: admin',
      `    password: ${manager.initialAdminPassword}`,
      '  The first sign-in must replace it (PUT /api/me/password); nothing else is allowed until then.',
      '  Make an API key for the CLI:',
      `    ${createApiKeyCommandLine(options.dataDir, options.databaseUrl)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  stopNow = (signal) => {
    process.stderr.write(`bulwark-manager: ${signal}, stopping\n`);
    manager.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bulwark-manager: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  if (stopRequested !== null) stopNow(stopRequested);
}
