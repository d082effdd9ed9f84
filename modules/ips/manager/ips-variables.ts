import { SURICATA_VARIABLE_GROUPS } from '../engine/index.js';
import type { IpsSettings } from './ips-settings.js';

/** How deep one variable may refer to another (`$FILE_DATA_PORTS` → `$HTTP_PORTS`) before we stop. */
export const MAX_VARIABLE_NESTING = 8;

/**
 * The variables Suricata rule sets commonly name, with the values a single protected host
 * usually wants (Suricata's own groups).
 */
const DEFAULT_VARIABLES = SURICATA_VARIABLE_GROUPS;

const REFERENCE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * The rule variables of these settings, each expanded until it names no other variable. A
 * reference to an unknown variable, or one nested deeper than MAX_VARIABLE_NESTING (a cycle),
 * stays as written: the engine then refuses the rules that use it, naming the variable.
 */
export function ruleVariables(settings: IpsSettings): Record<string, string> {
  const raw: Record<string, string> = {
    ...DEFAULT_VARIABLES,
    HOME_NET: settings.homeNet,
    EXTERNAL_NET: settings.externalNet,
    HTTP_PORTS: settings.httpPorts,
    SSH_PORTS: settings.sshPorts,
    ...settings.variables,
  };
  const expand = (value: string, depth: number): string =>
    depth >= MAX_VARIABLE_NESTING
      ? value
      : value.replace(REFERENCE, (whole, name: string) => {
          const inner = Object.hasOwn(raw, name) ? raw[name] : undefined;
          return inner === undefined ? whole : expand(inner, depth + 1);
        });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) out[name] = expand(value, 0);
  return out;
}
