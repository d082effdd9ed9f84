import type { AgentModuleEntry } from './module-entry.js';

/**
 * Every module this agent can run, each imported only when needed (module-entry.ts). Adding a
 * module is one entry here (each module exports its agent side as `agentModule`;
 * `npm run new-module` adds it); a module with host commands lists them for `--help`.
 */
export const agentModules: readonly AgentModuleEntry[] = [
  { id: 'inventory', load: async () => (await import('@bulwark/module-inventory/agent')).agentModule },
  { id: 'integrity', load: async () => (await import('@bulwark/module-integrity/agent')).agentModule },
  { id: 'firewall', load: async () => (await import('@bulwark/module-firewall/agent')).agentModule },
  { id: 'loginspect', load: async () => (await import('@bulwark/module-loginspect/agent')).agentModule },
  { id: 'ips', load: async () => (await import('@bulwark/module-ips/agent')).agentModule },
  { id: 'devicecontrol', load: async () => (await import('@bulwark/module-devicecontrol/agent')).agentModule },
  { id: 'appcontrol', load: async () => (await import('@bulwark/module-appcontrol/agent')).agentModule },
  { id: 'webrep', load: async () => (await import('@bulwark/module-webrep/agent')).agentModule },
  {
    id: 'antimalware',
    load: async () => (await import('@bulwark/module-antimalware/agent')).agentModule,
    localCommands: [
      {
        verb: 'scan',
        usage: 'PATH… [--json] [--signatures DIR]… [--accept-unsigned]',
        summary: 'Scan files and directories for malware now and report what is found (nothing is moved)',
      },
    ],
  },
];
