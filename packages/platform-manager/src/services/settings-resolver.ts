import type { SettingDefinition } from './setting-catalog.js';

export interface SettingSource {
  readonly kind: 'default' | 'policy' | 'computer';
  readonly id?: string;
  readonly name?: string;
}

export interface EffectiveSetting {
  readonly key: string;
  readonly value: unknown;
  /** True when the value is set on the policy or computer asked about itself. */
  readonly overridden: boolean;
  readonly source: SettingSource;
}

/** The overrides stored on one policy or computer. */
export interface SettingLayer {
  readonly source: { readonly kind: 'policy' | 'computer'; readonly id: string; readonly name: string };
  readonly values: ReadonlyMap<string, unknown>;
}

/**
 * Resolves every setting down a chain of layers, root policy first and the asked-about target
 * last: the value comes from the nearest layer that sets it, else the default. A stored value
 * that no longer fits its schema (a module changed) is skipped, so the next layer up applies.
 */
export function resolveSettings(
  definitions: readonly SettingDefinition[],
  layers: readonly SettingLayer[],
  accepts: (definition: SettingDefinition, value: unknown) => boolean = () => true,
): EffectiveSetting[] {
  const target = layers[layers.length - 1];
  return definitions.map((definition) => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i] as SettingLayer;
      if (!layer.values.has(definition.key)) continue;
      const value = layer.values.get(definition.key);
      if (!accepts(definition, value)) continue;
      return {
        key: definition.key,
        value: structuredClone(value),
        overridden: layer === target,
        source: { ...layer.source },
      };
    }
    return {
      key: definition.key,
      value: structuredClone(definition.default),
      overridden: false,
      source: { kind: 'default' },
    };
  });
}

/** Effective settings grouped by module: `{ platform: {...}, inventory: {...} }`. */
export function settingsByModule(
  definitions: readonly SettingDefinition[],
  effective: readonly EffectiveSetting[],
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  effective.forEach((setting, i) => {
    const definition = definitions[i] as SettingDefinition;
    const group = out[definition.module] ?? {};
    group[definition.property] = setting.value;
    out[definition.module] = group;
  });
  return out;
}
