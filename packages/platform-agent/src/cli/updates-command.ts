import { UPDATE_KIND_PATTERN } from '@bulwark/protocol';
import { resolveDataDir } from '../identity/identity-store.js';
import { UpdateStore } from '../updates/update-store.js';

export interface UpdatesCommandOutcome {
  readonly ok: boolean;
  readonly json: object;
  readonly text: string;
  /** The exit code's meaning: usage error vs. failure. */
  readonly usage?: boolean;
}

/**
 * `bulwark-agent updates` (the packages held, per kind) and `bulwark-agent updates rollback KIND`
 * (swap back to the kept previous version and hold it until the manager names another version;
 * the running daemon applies it at its next heartbeat).
 */
export function runUpdatesCommand(args: readonly string[], dataDirOption: string | undefined): UpdatesCommandOutcome {
  const store = new UpdateStore(resolveDataDir(dataDirOption));
  if (args.length === 0) {
    const kinds = store.kinds().map((kind) => {
      const s = store.state(kind);
      return { kind, version: s.current?.version ?? null, previous: s.previous?.version ?? null, heldBack: s.heldBack };
    });
    const text =
      kinds.length === 0
        ? 'no update packages on this host\n'
        : `${kinds
            .map(
              (k) =>
                `${k.kind.padEnd(24)} version ${k.version ?? 'none'}${k.previous ? `, previous ${k.previous}` : ''}${
                  k.heldBack ? ` (rolled back here from ${k.heldBack})` : ''
                }`,
            )
            .join('\n')}\n`;
    return { ok: true, json: { ok: true, kinds }, text };
  }
  if (args[0] !== 'rollback' || args.length !== 2)
    return {
      ok: false,
      usage: true,
      json: { ok: false, error: 'usage' },
      text: 'usage: bulwark-agent updates [rollback KIND]',
    };
  const kind = args[1]!;
  if (!new RegExp(UPDATE_KIND_PATTERN).test(kind))
    return {
      ok: false,
      usage: true,
      json: { ok: false, error: `"${kind}" is not an update kind` },
      text: `"${kind}" is not an update kind`,
    };
  const swapped = store.swap(kind, true);
  if (!swapped.ok) return { ok: false, json: { ok: false, error: swapped.reason }, text: swapped.reason };
  const { current, heldBack } = swapped.state;
  return {
    ok: true,
    json: { ok: true, kind, version: current?.version ?? null, heldBack },
    text: `${kind}: back to version ${current?.version}; version ${heldBack} is held back until the manager names another (the agent applies it at its next heartbeat)\n`,
  };
}
