import type { LocalUser } from '@bulwark/protocol';
import { clip, lines, type Parsed } from './parsed.js';

/** /etc/passwd: name:password:uid:gid:gecos:home:shell. Comments and blank lines are ignored. */
export function parsePasswd(text: string): Parsed<LocalUser[]> {
  const users: LocalUser[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const [name, , uid, gid, , home, shell] = fields;
    if (
      fields.length !== 7 ||
      !name ||
      !/^\d{1,10}$/.test(uid ?? '') ||
      !/^\d{1,10}$/.test(gid ?? '') ||
      home === undefined ||
      shell === undefined
    ) {
      skipped++;
      continue;
    }
    users.push({
      name: clip(name, 256),
      uid: Number(uid),
      gid: Number(gid),
      home: clip(home, 1024),
      shell: clip(shell, 1024),
    });
  }
  return { value: users, skipped };
}
