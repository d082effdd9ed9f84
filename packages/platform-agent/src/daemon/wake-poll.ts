import { AgentRoutes, WakeResponse } from '@bulwark/protocol';
import { backoffDelay, sleep } from '../channel/backoff.js';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';

export interface WakePollOptions {
  readonly channel: Pick<ManagerChannel, 'call'>;
  readonly log: AgentLogger;
  /** Ends the poll (and cuts a call or a backoff short) when the agent stops. */
  readonly signal: AbortSignal;
  /** Seconds the manager may hold a call open. */
  readonly timeoutSeconds: number;
  /** A call was answered: the manager is reachable. */
  readonly onReachable: () => void;
  /** The manager asked for a heartbeat now. */
  readonly onWake: () => void;
}

/**
 * The wake long-poll: the agent never listens, so it keeps one call to the manager open, and
 * the manager answers it early when it wants a heartbeat now (new configuration, a command).
 * Failures back off up to two minutes; the heartbeat loop keeps the agent managed meanwhile.
 */
export async function pollForWake(options: WakePollOptions): Promise<void> {
  const { channel, log, signal, timeoutSeconds } = options;
  let failures = 0;
  while (!signal.aborted) {
    const result = await channel.call(
      'GET',
      `${AgentRoutes.wake.path}?timeoutSeconds=${timeoutSeconds}`,
      undefined,
      WakeResponse,
      { timeoutMs: (timeoutSeconds + 15) * 1000, signal },
    );
    if (signal.aborted) break;
    if (result.ok) {
      failures = 0;
      options.onReachable();
      if (result.value.wake) {
        log.info('manager asked for a heartbeat');
        options.onWake();
      }
      continue;
    }
    failures++;
    log.debug('wake call failed', { reason: result.message });
    await sleep(backoffDelay(failures, 2000, 120_000), signal);
  }
}
