/**
 * Rulesets shipped with the module, written by us. Not assigned by default: assign them where
 * they fit (`bulwark rules assign --policy P appcontrol appcontrol.block-temporary-directories`).
 */
export const BUILT_IN_RULES: readonly { readonly id: string; readonly [key: string]: unknown }[] = [
  {
    id: 'appcontrol.block-temporary-directories',
    name: 'Block programs in world-writable temporary directories',
    description:
      'Droppers write to /tmp, /var/tmp and /dev/shm because anyone may; a server rarely has a reason to run programs from there.',
    action: 'block',
    paths: ['/tmp/**', '/var/tmp/**', '/dev/shm/**'],
  },
];
