import type { LogEvent } from './event.js';
import { fieldValue } from './event.js';
import type { Matcher } from './pattern.js';

/** A CDB list in its source form: one `key:value` (or `key:`, or `"key:with:colons":value`) a line. */
export type CdbList = ReadonlyMap<string, string>;

export function parseCdbList(content: string): CdbList {
  const list = new Map<string, string>();
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let key: string;
    let value: string;
    if (line.startsWith('"')) {
      const close = line.indexOf('"', 1);
      if (close === -1) continue;
      key = line.slice(1, close);
      const rest = line.slice(close + 1);
      value = rest.startsWith(':') ? rest.slice(1) : '';
    } else {
      const colon = line.indexOf(':');
      key = colon === -1 ? line : line.slice(0, colon);
      value = colon === -1 ? '' : line.slice(colon + 1);
    }
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    list.set(key, value);
  }
  return list;
}

export type ListLookup =
  | 'match_key'
  | 'not_match_key'
  | 'match_key_value'
  | 'address_match_key'
  | 'not_address_match_key'
  | 'address_match_key_value';

export const LIST_LOOKUPS: readonly ListLookup[] = [
  'match_key',
  'not_match_key',
  'match_key_value',
  'address_match_key',
  'not_address_match_key',
  'address_match_key_value',
];

/** OSSEC address lists hold whole addresses or class-style prefixes such as "10.1.2". */
function addressValue(list: CdbList, address: string): string | undefined {
  let key = address;
  for (;;) {
    const v = list.get(key);
    if (v !== undefined) return v;
    const dot = key.lastIndexOf('.');
    if (dot <= 0) return undefined;
    key = key.slice(0, dot);
    const withDot = list.get(`${key}.`);
    if (withDot !== undefined) return withDot;
  }
}

export function listCheck(
  field: string,
  lookup: ListLookup,
  list: CdbList,
  checkValue: Matcher | undefined,
): (event: LogEvent) => boolean {
  return (event) => {
    const value = fieldValue(event, field);
    if (value === undefined) return false;
    switch (lookup) {
      case 'match_key':
        return list.has(value);
      case 'not_match_key':
        return !list.has(value);
      case 'match_key_value': {
        const v = list.get(value);
        return v !== undefined && (checkValue ? checkValue.test(v) : true);
      }
      case 'address_match_key':
        return addressValue(list, value) !== undefined;
      case 'not_address_match_key':
        return addressValue(list, value) === undefined;
      case 'address_match_key_value': {
        const v = addressValue(list, value);
        return v !== undefined && (checkValue ? checkValue.test(v) : true);
      }
    }
  };
}
