import type { ValidationIssue } from '@bulwark/protocol';
import { type FirewallLists, parsePortTerm, validateLists } from '../engine/index.js';

type ListKind = keyof FirewallLists;

const LIST_NAMES: Readonly<Record<ListKind, string>> = {
  ipLists: 'IP list',
  macLists: 'MAC list',
  portLists: 'port list',
};

const MEMBER = /^\/(ipLists|macLists|portLists)\/(\d+)(\/.*)?$/;

/** `IP list "admins"` for an issue inside that list, or null when the path is not in a list. */
function listNamed(lists: unknown, path: string): string | null {
  const match = MEMBER.exec(path);
  if (!match?.[1] || !match[2]) return null;
  const kind = match[1] as ListKind;
  const list = (lists as Partial<Record<ListKind, unknown[]>>)[kind]?.[Number(match[2])];
  const id = typeof list === 'object' && list !== null ? (list as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? `${LIST_NAMES[kind]} "${id}"` : `${LIST_NAMES[kind]} ${Number(match[2]) + 1}`;
}

/**
 * The firewall's `checkSetting`: the entries of `firewall.lists` as the compiler reads them. An
 * entry it cannot read (`10.0.0.0/33`, port `"70000"`, a malformed MAC) makes it drop the whole
 * list and every rule that refers to it on the host, so the API refuses it when the lists are
 * saved, naming the list and the entry, whether or not an assigned rule uses the list yet.
 * Duplicate ids within a kind are refused too: a rule could not say which list it means.
 */
export function checkFirewallSetting(property: string, value: unknown): ValidationIssue[] {
  if (property !== 'lists') return [];
  return validateLists(value as FirewallLists).map((issue) => {
    const list = listNamed(value, issue.path);
    return {
      path: issue.path,
      message: list
        ? `${list}: ${issue.message}; the firewall would drop this list and every rule that refers to it`
        : issue.message,
    };
  });
}

const PORT_ENTRY = /^\/portLists\/(\d+)\/ports\/(\d+)$/;

/** The entry a `/portLists/i/ports/j` path names, or undefined. */
function portEntry(lists: unknown, path: string): unknown {
  const match = PORT_ENTRY.exec(path);
  if (!match) return undefined;
  const list = (lists as { portLists?: { ports?: unknown[] }[] }).portLists?.[Number(match[1])];
  return list?.ports?.[Number(match[2])];
}

/**
 * The firewall's `explainSettingIssues`: the schema says only "Expected union value" for a port
 * list entry that is neither a port number nor text (port 70000 as a number, say); say what is
 * wrong and which list it is in. Other schema issues inside a list get the list's name in front.
 */
export function explainFirewallSettingIssues(
  property: string,
  value: unknown,
  issues: readonly ValidationIssue[],
): ValidationIssue[] {
  if (property !== 'lists') return [...issues];
  return issues.map((issue) => {
    const list = listNamed(value, issue.path);
    if (!list) return issue;
    let message = issue.message;
    if (PORT_ENTRY.test(issue.path)) {
      const port = parsePortTerm(portEntry(value, issue.path));
      if (!port.ok) message = port.message;
    }
    return { path: issue.path, message: `${list}: ${message}` };
  });
}
