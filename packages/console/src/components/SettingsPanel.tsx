import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, get, type Page } from '../api';
import { useCan } from '../session';
import type { JsonSchema, ModuleInfo, Setting } from '../types';
import { ErrorLine, shown } from './common';

export interface LevelRef {
  readonly kind: 'policy' | 'computer';
  readonly id: string;
  /** The level this one inherits from (a computer's policy, a policy's parent), null = defaults. */
  readonly parentPolicyId: string | null;
}

const INHERIT = '\u0000inherit';

function settingsPath(kind: 'policy' | 'computer', id: string) {
  return `/api/${kind === 'policy' ? 'policies' : 'computers'}/${id}/settings`;
}

/** The values listed for a setting whose schema is a fixed set (enum, union of constants, boolean). */
function choicesOf(schema: JsonSchema | undefined): unknown[] | null {
  if (schema === undefined) return null;
  if (Array.isArray(schema.enum)) return schema.enum;
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((s) => 'const' in s)) return schema.anyOf.map((s) => s.const);
  if (schema.type === 'boolean') return [true, false];
  return null;
}

function isNumeric(schema: JsonSchema | undefined): boolean {
  return schema?.type === 'integer' || schema?.type === 'number';
}

function sourceText(setting: Setting): string {
  if (setting.source.kind === 'default') return 'default';
  return `${setting.source.kind} ${setting.source.name ?? setting.source.id ?? ''}`.trim();
}

/**
 * A module's settings at a policy or computer: each either `Inherited (value) from <policy>` or
 * overridden here, with a way back to inherited. Edit controls only for a role that may change them.
 */
export function SettingsPanel({ level, module }: { level: LevelRef; module: ModuleInfo }) {
  const client = useQueryClient();
  const operator = useCan('operator');
  const administrator = useCan('administrator');
  const path = settingsPath(level.kind, level.id);
  const settings = useQuery({ queryKey: ['settings', level.kind, level.id], queryFn: () => get<Page<Setting>>(path) });
  // What this level would inherit: the parent policy's effective values (or the module's defaults).
  const parent = useQuery({
    queryKey: ['settings', 'policy', level.parentPolicyId],
    queryFn: () => get<Page<Setting>>(settingsPath('policy', level.parentPolicyId ?? '')),
    enabled: level.parentPolicyId !== null,
  });
  const change = useMutation({
    mutationFn: ({ key, value }: { key: string; value: unknown }) =>
      value === INHERIT
        ? api('DELETE', `${path}/${encodeURIComponent(key)}`)
        : api('PUT', `${path}/${encodeURIComponent(key)}`, { value }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['settings'] }),
  });
  const prefix = `${module.id}.`;
  const rows = (settings.data?.items ?? []).filter((s) => s.key.startsWith(prefix));
  function inherited(key: string): { value: unknown; from: string } {
    const fromParent = parent.data?.items.find((s) => s.key === key);
    if (level.parentPolicyId !== null && fromParent !== undefined) {
      const policyName = fromParent.source.kind === 'policy' ? fromParent.source.name : undefined;
      return { value: fromParent.value, from: policyName ?? 'default' };
    }
    return { value: module.defaults[key.slice(prefix.length)], from: 'default' };
  }
  return (
    <div className="settings">
      <ErrorLine error={settings.error ?? change.error} />
      <table>
        <tbody>
          {rows.map((setting) => {
            const property = setting.key.slice(prefix.length);
            const schema = module.settings.properties?.[property];
            const adminOnly = module.administratorSettings.includes(property);
            const canEdit = level.kind === 'policy' || adminOnly ? administrator : operator;
            const base = inherited(setting.key);
            return (
              <tr key={setting.key} data-testid={`setting-${setting.key}`}>
                <th scope="row" title={schema?.description}>
                  {schema?.title ?? property}
                  <div className="muted small">{setting.key}</div>
                </th>
                <td>
                  {setting.overridden ? (
                    <span className="overridden">
                      {shown(setting.value)} <span className="muted">(set here)</span>
                    </span>
                  ) : (
                    <span className="inherited">
                      {setting.source.kind === 'default' && level.parentPolicyId === null
                        ? `Default (${shown(setting.value)})`
                        : `Inherited (${shown(setting.value)}) from ${setting.source.kind === 'default' ? 'default' : (setting.source.name ?? sourceText(setting))}`}
                    </span>
                  )}
                </td>
                <td className="editor">
                  {canEdit && (
                    <SettingEditor
                      setting={setting}
                      schema={schema}
                      inheritedLabel={`Inherited (${shown(base.value)})`}
                      busy={change.isPending}
                      onChange={(value) => change.mutate({ key: setting.key, value })}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function SettingEditor(props: {
  setting: Setting;
  schema: JsonSchema | undefined;
  inheritedLabel: string;
  busy: boolean;
  onChange: (value: unknown) => void;
}) {
  const { setting, schema } = props;
  const choices = choicesOf(schema);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [draft, setDraft] = useState<string>(() =>
    typeof setting.value === 'string' ? setting.value : JSON.stringify(setting.value, null, 1),
  );
  if (choices !== null) {
    const current = setting.overridden ? JSON.stringify(setting.value) : INHERIT;
    return (
      <select
        aria-label={setting.key}
        value={current}
        disabled={props.busy}
        onChange={(e) => props.onChange(e.target.value === INHERIT ? INHERIT : JSON.parse(e.target.value))}
      >
        <option value={INHERIT}>{props.inheritedLabel}</option>
        {choices.map((choice) => (
          <option key={JSON.stringify(choice)} value={JSON.stringify(choice)}>
            {shown(choice)}
          </option>
        ))}
      </select>
    );
  }
  const simple = isNumeric(schema) || schema?.type === 'string';
  function parsed(): unknown {
    if (isNumeric(schema)) return Number(draft);
    if (schema?.type === 'string') return draft;
    return JSON.parse(draft);
  }
  return (
    <div className="inline-editor">
      {simple ? (
        <input aria-label={setting.key} value={draft} onChange={(e) => setDraft(e.target.value)} />
      ) : (
        <textarea aria-label={setting.key} rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
      )}
      <button
        type="button"
        disabled={props.busy}
        onClick={() => {
          try {
            setInvalid(null);
            props.onChange(parsed());
          } catch {
            setInvalid('not valid JSON');
          }
        }}
      >
        Set here
      </button>
      {invalid && <span className="error">{invalid}</span>}
      {setting.overridden && (
        <button type="button" disabled={props.busy} onClick={() => props.onChange(INHERIT)}>
          {props.inheritedLabel}
        </button>
      )}
    </div>
  );
}
