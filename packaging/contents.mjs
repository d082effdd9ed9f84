// What each .deb holds under /opt/bulwark/<short>/. The bundles find the files their sources read
// (package.json for the version, the kernel addon, the rule files) at the sources' own paths
// relative to the repository (scripts/build.mjs), so those files keep their repository paths here.
import { readdirSync } from 'node:fs';

const repo = new URL('..', import.meta.url);

/** The data files of a folder: everything but TypeScript and tests. */
function dataFiles(dir) {
  return readdirSync(new URL(dir, repo))
    .filter((name) => !name.endsWith('.ts'))
    .map((name) => `${dir}/${name}`);
}

export const AGENT = {
  name: 'bulwark-agent',
  short: 'agent',
  summary: 'Bulwark agent: workload protection for a Linux server',
  description: [
    'Runs the protection modules (firewall, integrity monitoring, log inspection, inventory)',
    'that a Bulwark manager configures, and reports their events to it over mutual TLS.',
    'Ships its own Node.js runtime under /opt/bulwark/agent.',
  ],
  files: [
    'packages/platform-agent/package.json',
    'packages/platform-agent/bin/bulwark-agent.js',
    'packages/platform-agent/dist',
    'packages/kernel/build/Release/bulwark_kernel.node',
    ...dataFiles('modules/loginspect/rules'),
  ],
  nodeModules: ['better-sqlite3'],
  // Used by npm at install time only.
  skipModules: ['prebuild-install'],
  bins: [{ name: 'bulwark-agent', script: 'packages/platform-agent/bin/bulwark-agent.js' }],
  unit: 'packages/platform-agent/systemd/bulwark-agent.service',
  depends: [],
  // nft for the firewall module (which reports itself unavailable without it); a Recommends, so
  // that `dpkg -i` alone installs the agent on a minimal system.
  recommends: ['nftables'],
};

export const MANAGER = {
  name: 'bulwark-manager',
  short: 'manager',
  summary: 'Bulwark manager: policies, events and the REST API for Bulwark agents',
  description: [
    'Configures Bulwark agents through policies, stores their events (SQLite or PostgreSQL),',
    'serves the REST API and the bulwark admin command line. Ships its own Node.js runtime',
    'under /opt/bulwark/manager, and the agent package for the deployment script.',
  ],
  files: [
    'packages/platform-manager/package.json',
    'packages/platform-manager/bin/bulwark-manager.js',
    'packages/platform-manager/bin/bulwark.js',
    'packages/platform-manager/dist',
    // The web console, served on the console port.
    'packages/console/dist',
    ...dataFiles('modules/loginspect/rules'),
    ...dataFiles('modules/integrity/rules'),
  ],
  nodeModules: ['better-sqlite3', '@fastify/swagger', '@fastify/swagger-ui'],
  skipModules: ['prebuild-install'],
  bins: [
    { name: 'bulwark-manager', script: 'packages/platform-manager/bin/bulwark-manager.js' },
    { name: 'bulwark', script: 'packages/platform-manager/bin/bulwark.js' },
  ],
  unit: 'packages/platform-manager/systemd/bulwark-manager.service',
  // useradd, for the manager's own user.
  depends: ['passwd'],
  recommends: [],
};
