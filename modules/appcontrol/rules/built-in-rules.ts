/**
 * Rules shipped with the module, written by us. Each is checked by the engine at start (a test
 * keeps them all loadable), and ids are unique within the module.
 */
export const BUILT_IN_RULES: readonly unknown[] = [
  {
    id: 'appcontrol.root-login',
    name: 'Direct root login',
    description: 'Text that says root logged in directly. An example rule: replace it with your own.',
    severity: 'medium',
    pattern: 'session opened for user root',
    recommendedFor: 'openssh-server',
  },
];
