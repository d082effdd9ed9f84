// What `npm run build` bundles (scripts/build.mjs) and the .deb packages ship (packaging/).

/** Native addons and packages that read their own files at run time stay in node_modules. */
const NATIVE = ['better-sqlite3'];

/**
 * One bundle per program that runs on a host; `out` is relative to the repository. `split`: the
 * code behind each dynamic `import()` goes into chunks of its own beside the bundle (`chunk-*.js`),
 * loaded only when the program imports it — the agent's modules (its registry imports each one
 * when the configuration turns it on), so an agent runs only the code of the modules in use.
 */
export const BUNDLES = [
  {
    out: 'packages/platform-agent/dist/bulwark-agent.js',
    entry: 'packages/platform-agent/src/cli/agent-main.ts',
    external: NATIVE,
    split: true,
  },
  {
    out: 'packages/platform-manager/dist/bulwark-manager.js',
    entry: 'packages/platform-manager/src/cli/manager-main.ts',
    external: [...NATIVE, '@fastify/swagger', '@fastify/swagger-ui', 'pg-native'],
  },
  {
    out: 'packages/platform-manager/dist/bulwark.js',
    entry: 'packages/platform-manager/src/admin-cli/main.ts',
    external: NATIVE,
  },
  // The manager as a library, for scripts/start.mjs (npm start).
  {
    out: 'packages/platform-manager/dist/manager.js',
    entry: 'packages/platform-manager/src/index.ts',
    external: [...NATIVE, '@fastify/swagger', '@fastify/swagger-ui', 'pg-native'],
  },
];

/**
 * Every worker thread a program starts (`new Worker(new URL(specifier, import.meta.url))` in
 * spawnedBy). In development the specifier names a small .mjs entry that registers tsx; the build
 * compiles `entry` into `<out>.js` beside each bundle and points the spawn at it.
 * test/repository/build.test.ts fails when a `new Worker(` is not listed here.
 */
export const WORKERS = [
  {
    spawnedBy: 'modules/integrity/agent/hash-pool.ts',
    specifier: './hash-worker-entry.mjs',
    entry: 'modules/integrity/agent/hash-worker.ts',
    out: 'integrity-hash-worker',
  },
];
