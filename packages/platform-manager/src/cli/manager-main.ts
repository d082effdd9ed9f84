import { defaultLoggerOptions, startManager } from '../manager.js';
import { managerModules } from '../modules/registry.js';
import { createServices } from '../services/index.js';
import { SYSTEM_ACTOR } from '../services/roles.js';
import { openDatabase } from '../storage/index.js';
import { type CreateApiKeyCommand, parseManagerArguments, type ServeCommand, USAGE } from './manager-arguments.js';

const parsed = parseManagerArguments(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`bulwark-manager: ${parsed.message}\n\n${USAGE}`);
  process.exit(2);
}
const command = parsed.value;
if (command.command === 'help') {
  process.stdout.write(USAGE);
} else if (command.command === 'create-api-key') {
  process.exitCode = await createApiKey(command);
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
    '                pin it: bulwark --ca-fingerprint <it>, bulwark-agent activate --ca-fingerprint <it>',
  ];
  if (manager.initialAdminPassword !== null) {
    lines.push(
      '',
      '  First start: a console administrator was created. Its password is shown only this once:',
      '    username: admin',
      `    password: ${manager.initialAdminPassword}`,
      '  The first sign-in must replace it (PUT /api/me/password); nothing else is allowed until then.',
      '  Make an API key for the CLI:',
      `    bulwark-manager create-api-key --role administrator --data-dir ${options.dataDir}`,
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

async function createApiKey(options: CreateApiKeyCommand): Promise<number> {
  let store: Awaited<ReturnType<typeof openDatabase>>;
  try {
    store = await openDatabase(
      options.databaseUrl === undefined ? { dataDir: options.dataDir } : { url: options.databaseUrl },
    );
  } catch (error) {
    process.stderr.write(`bulwark-manager: cannot open the store: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const services = createServices({ db: store.db, modules: managerModules });
    const created = await services.apiKeys.create({ name: options.name, role: options.role }, SYSTEM_ACTOR);
    if (!created.ok) {
      process.stderr.write(`bulwark-manager: ${created.error.message}\n`);
      return 1;
    }
    const { apiKey, key } = created.value;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ id: apiKey.id, name: apiKey.name, role: apiKey.role, key })}\n`);
    } else {
      process.stdout.write(
        `API key "${apiKey.name}" (${apiKey.role}), shown only this once:\n\n  ${key}\n\nUse it as: Authorization: Bearer <key>, or BULWARK_API_KEY=<key> bulwark …\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}
