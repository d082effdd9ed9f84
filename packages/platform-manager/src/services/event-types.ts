import { type ManagerModule, PlatformEventTypes } from '@bulwark/protocol';

/** The module id of the events the agent platform itself emits. */
export const PLATFORM_EVENT_MODULE = 'agent';

export interface KnownEventTypes {
  /** False when a module does not declare its event types: then no type can be called unknown. */
  readonly complete: boolean;
  /** Module id → the types its events carry, modules in registry order. */
  readonly byModule: ReadonlyMap<string, readonly string[]>;
}

export function knownEventTypes(modules: readonly ManagerModule[]): KnownEventTypes {
  const byModule = new Map<string, readonly string[]>([[PLATFORM_EVENT_MODULE, Object.values(PlatformEventTypes)]]);
  let complete = true;
  for (const module of modules) {
    if (module.eventTypes === undefined) complete = false;
    else byModule.set(module.id, [...module.eventTypes]);
  }
  return { complete, byModule };
}

/**
 * Why an event search for `type` (within `module`, when given) cannot find anything, naming the
 * types there are; null when the type is known, or when the list is not complete.
 */
export function unknownEventType(known: KnownEventTypes, type: string, module: string | undefined): string | null {
  if (!known.complete) return null;
  const modules = module === undefined ? [...known.byModule.keys()] : [module];
  const types = [...new Set(modules.flatMap((m) => known.byModule.get(m) ?? []))].sort();
  if (types.includes(type)) return null;
  if (module !== undefined && !known.byModule.has(module)) return null;
  const where = module === undefined ? 'no module emits events of type' : `module ${module} emits no events of type`;
  return `${where} "${type}"; the types are ${types.join(', ')}`;
}
