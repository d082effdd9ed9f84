/**
 * Fail-open for a stopped engine process. The kernel package's deadline thread answers packets
 * when the event loop is blocked, but a process stopped outright (SIGSTOP, a debugger, the
 * cgroup freezer) stops that thread too, and the kernel holds queued packets for as long as the
 * queue stays bound. So a tiny separate process (bash, builtins only while it polls) watches the
 * engine's state in /proc: while it is stopped, a RETURN rule at the top of the engine's chains
 * lets traffic past the queue; when it runs again, the rule goes. It exits when the engine does
 * (its stdin, a pipe from the engine, closes).
 *
 * Packets already queued when the process stopped stay queued until it resumes (the kernel holds
 * them for the bound socket); TCP's retransmissions of them pass through the bypass.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = `
pid="$1"; period="$2"; prefix="$3"
bypassed=0
apply() { for c in iptables-restore ip6tables-restore; do $prefix $c --noflush <<<"$1" >/dev/null 2>&1; done; }
while :; do
  read -t "$period" -r _
  status=$?
  if [ "$status" -le 128 ] && [ "$status" -ne 0 ]; then break; fi
  if ! read -r stat < "/proc/$pid/stat" 2>/dev/null; then break; fi
  state="\${stat##*) }"; state="\${state%% *}"
  if [ "$state" = T ] || [ "$state" = t ]; then
    if [ "$bypassed" = 0 ]; then apply "$BW_BYPASS_ON"; bypassed=1; echo bypass-on; fi
  elif [ "$bypassed" = 1 ]; then apply "$BW_BYPASS_OFF"; bypassed=0; echo bypass-off; fi
done
if [ "$bypassed" = 1 ]; then apply "$BW_BYPASS_OFF"; fi
`;

export interface StallGuard {
  readonly bypasses: () => number;
  stop(): void;
}

export function startStallGuard(options: {
  readonly chains: readonly string[];
  readonly deadlineMs: number;
  readonly netns?: string;
}): StallGuard | { readonly unavailable: string } {
  const rules = (op: '-I' | '-D') =>
    ['*filter', ...options.chains.map((c) => `${op} ${c}${op === '-I' ? ' 1' : ''} -j RETURN`), 'COMMIT', ''].join(
      '\n',
    );
  const period = (Math.max(10, Math.min(50, options.deadlineMs / 2)) / 1000).toFixed(3);
  let child: ChildProcess;
  try {
    child = spawn(
      'bash',
      [
        '-c',
        SCRIPT,
        'bulwark-stall-guard',
        String(process.pid),
        period,
        options.netns ? `ip netns exec ${options.netns}` : '',
      ],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
        env: { ...process.env, BW_BYPASS_ON: rules('-I'), BW_BYPASS_OFF: rules('-D') },
      },
    );
  } catch (error) {
    return { unavailable: `stall guard: ${String(error)}` };
  }
  let count = 0;
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l === 'bypass-on') count++;
    });
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    bypasses: () => count,
    stop() {
      child.stdin?.end();
      child.kill('SIGTERM');
    },
  };
}
