import { type Static, Type } from '@sinclair/typebox';

/** Where the inventory looks by default: the directories programs are installed to. */
export const DEFAULT_ROOTS = [
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/usr/lib',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/local/lib',
  '/opt',
  '/bin',
  '/sbin',
];

/**
 * The module's settings. Every property has a `default`; one is `enabled`. Keys are
 * `appcontrol.<property>`; policies and computers store only what they override.
 */
export const AppcontrolSettings = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Inventory the software on computers under this policy and enforce application control',
    }),
    mode: Type.Union([Type.Literal('allow-unrecognized'), Type.Literal('block-unrecognized')], {
      default: 'allow-unrecognized',
      description:
        'What happens to software that is neither in the inventory nor allowed by a ruleset: allowed and reported, or blocked',
    }),
    maintenanceUntil: Type.Union([Type.Literal(''), Type.String({ format: 'date-time' })], {
      default: '',
      description:
        'Maintenance mode until this time (RFC 3339): new or changed software runs and joins the inventory. Empty: off',
    }),
    trustPackageManagers: Type.Boolean({
      default: true,
      description:
        'Software written or run by dpkg/apt (process ancestry) joins the inventory as if in maintenance mode',
    }),
    roots: Type.Array(Type.String({ pattern: '^/', minLength: 1, maxLength: 4096 }), {
      default: DEFAULT_ROOTS,
      maxItems: 64,
      description: 'Directories whose executables (ELF and #! scripts) make the inventory',
    }),
    enforcedMounts: Type.Array(Type.String({ pattern: '^/', minLength: 1, maxLength: 4096 }), {
      default: [],
      maxItems: 256,
      description: 'Mount points where executions are checked; empty: every mount of a local filesystem',
    }),
    checkInterpreters: Type.Boolean({
      default: true,
      description:
        'Also check files given to an interpreter or the loader to run (python3 x.py, sh x.sh, ld.so ./program)',
    }),
  },
  { additionalProperties: false },
);
export type AppcontrolSettings = Static<typeof AppcontrolSettings>;
