import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';
import { contentHash, describeIssues, parseWith, SecurityConfiguration } from '@bulwark/protocol';

const path = (dataDir: string) => join(dataDir, 'configuration.json');

/**
 * Checks a security configuration from the manager before anything applies it: the schema, that
 * it is for this computer, that it is the version asked for and that the version is its hash.
 */
export function checkConfiguration(
  body: unknown,
  expected: { computerId: string },
): { ok: true; configuration: SecurityConfiguration } | { ok: false; reason: string } {
  const parsed = parseWith(SecurityConfiguration, body);
  if (!parsed.ok) return { ok: false, reason: `invalid security configuration: ${describeIssues(parsed.issues)}` };
  const { version, ...content } = parsed.value;
  if (parsed.value.computerId !== expected.computerId) {
    return { ok: false, reason: `security configuration is for computer ${parsed.value.computerId}, not this one` };
  }
  if (contentHash(content) !== version)
    return { ok: false, reason: 'security configuration version does not match its content' };
  return { ok: true, configuration: parsed.value };
}

/** The last applied configuration, kept so that a restarted agent protects the host before it reaches the manager. */
export function saveAppliedConfiguration(dataDir: string, configuration: SecurityConfiguration): void {
  writeFileAtomic(path(dataDir), JSON.stringify(configuration), 0o600);
}

export function loadAppliedConfiguration(dataDir: string, computerId: string): SecurityConfiguration | null {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path(dataDir), 'utf8'));
  } catch {
    return null;
  }
  const checked = checkConfiguration(body, { computerId });
  return checked.ok ? checked.configuration : null;
}
