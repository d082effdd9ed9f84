import type { ManagerModule, SiemField } from '@bulwark/protocol';
import type { ForwardedEvent } from './forwarded-event.js';

/** The module-specific SIEM fields of an event (none for a module without a mapping). */
export type SiemFieldSource = (event: ForwardedEvent) => readonly SiemField[];

export const noSiemFields: SiemFieldSource = () => [];

/** Each module maps its own events (ManagerModule.siemFields); the forwarder only asks. */
export function siemFieldSource(modules: readonly Pick<ManagerModule, 'id' | 'siemFields'>[]): SiemFieldSource {
  const byModule = new Map<string, NonNullable<ManagerModule['siemFields']>>();
  for (const module of modules) if (module.siemFields) byModule.set(module.id, module.siemFields.bind(module));
  return (event) => byModule.get(event.module)?.({ type: event.type, details: event.details ?? {} }) ?? [];
}
