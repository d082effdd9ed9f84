import type { AgentModuleContext } from '@bulwark/protocol';
import {
  removeTrafficSteering,
  startTrafficEngine,
  type TrafficFindingsEvent,
  type TrafficRuntime,
} from '@bulwark/traffic/runtime';
import type { IpsFinding } from '../engine/ips-engine-contract.js';
import type { FindingsReport, IpsTrafficOptions, IpsTrafficPort, IpsTrafficRuntime } from './traffic-port.js';

/** The name of the IPS's kernel rules (nft table / iptables chains), the same in every process. */
export const IPS_STEERING_NAME = 'bulwark_ips';
/** NFQUEUE number of the IPS unless the host's local options say `ips.queue = N`. */
export const DEFAULT_IPS_QUEUE = 7_300;
/** Queues (and engine instances) unless `ips.queueCount = N`; flows spread over them. */
export const DEFAULT_IPS_QUEUE_COUNT = 1;
const MAX_QUEUE_COUNT = 16;

function localNumber(context: AgentModuleContext, key: string, fallback: number, max: number): number {
  const text = context.localOptions?.get(key);
  const n = text !== undefined && /^\d{1,5}$/.test(text.trim()) ? Number(text) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : fallback;
}

/**
 * The traffic engine's runtime (packages/traffic) on this host, behind the port the IPS agent
 * uses. Queue numbers come from the host's local options (`ips.queue`, `ips.queueCount` in
 * /etc/bulwark/agent.conf) so that an administrator can keep them clear of other NFQUEUE users.
 * A change of deadline or default verdict restarts the runtime (the kernel channel takes them
 * at open); inspector and mode changes apply to the flows in progress.
 */
export function hostTrafficPort(context: AgentModuleContext): IpsTrafficPort {
  const queue = localNumber(context, 'ips.queue', DEFAULT_IPS_QUEUE, 65_535 - MAX_QUEUE_COUNT);
  const queueCount = Math.max(1, localNumber(context, 'ips.queueCount', DEFAULT_IPS_QUEUE_COUNT, MAX_QUEUE_COUNT));

  async function open(options: IpsTrafficOptions, onFindings: (report: FindingsReport) => void) {
    return startTrafficEngine<IpsFinding>({
      inspectors: [options.inspector],
      mode: options.mode,
      queue,
      queueCount,
      deadlineMs: options.deadlineMs,
      defaultVerdict: options.failMode === 'open' ? 'accept' : 'drop',
      name: IPS_STEERING_NAME,
      limits: { httpBodyInspectionDepth: options.inspectionDepthBytes },
      onFindings: (event: TrafficFindingsEvent<IpsFinding>) =>
        onFindings({
          flow: event.flow,
          direction: event.direction,
          enforced: event.enforced,
          timeMs: event.timeMs,
          findings: event.findings,
        }),
      onError: (error) =>
        context.log.warn('ips: the traffic engine reported an error', {
          error: error instanceof Error ? error.message : String(error),
        }),
    });
  }

  return {
    async start(first, onFindings) {
      const opened = await open(first, onFindings);
      if (!opened.ok) return opened;
      let runtime: TrafficRuntime<IpsFinding> = opened.runtime;
      let current = first;
      const wrapper: IpsTrafficRuntime = {
        async update(next) {
          const restart =
            next.deadlineMs !== current.deadlineMs ||
            next.failMode !== current.failMode ||
            next.inspectionDepthBytes !== current.inspectionDepthBytes;
          if (restart) {
            await runtime.stop();
            const again = await open(next, onFindings);
            if (!again.ok) return again;
            runtime = again.runtime;
            current = next;
            return { ok: true };
          }
          runtime.setMode(next.mode);
          const updated = await runtime.updateInspectors([next.inspector]);
          if (updated.ok) current = next;
          return updated;
        },
        stop: () => runtime.stop(),
        status() {
          const s = runtime.stats();
          const e = s.engine;
          const lost = s.channels.reduce((n, c) => n + c.itemsLost, 0);
          const defaulted = s.channels.reduce((n, c) => n + c.defaulted + c.overflowDefaulted, 0);
          const problems = [
            ...(s.stallGuard ? [`stall guard not running: ${s.stallGuard}`] : []),
            ...(lost > 0
              ? [`${lost} packets never reached the agent (it fell behind) and got the default verdict uninspected`]
              : []),
          ];
          return {
            counters: {
              packets: s.packets,
              verdictsLate: s.verdictsLate,
              deadlineDefaults: defaulted,
              packetsLost: lost,
              stallBypasses: s.stallBypasses,
              flowsActive: e.flowsActive,
              flowsHandedBack: e.flowsHandedBack,
              flowsBlocked: e.flowsBlocked,
              detectOnlyBlocks: e.detectOnlyBlocks,
              flowsEvicted: e.flowsEvictedForCount + e.flowsEvictedForMemory,
              gaps: e.gaps,
              httpRequests: e.httpRequests,
              httpUninspectedBodyBytes: e.httpUninspectedBodyBytes,
              inspectorErrors: e.inspectorErrors,
            },
            ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
          };
        },
        kernelHooks: () => {
          const s = runtime.stats();
          const ports = s.ports.map((p) => `${p.protocol} ${p.ports.length > 0 ? p.ports.join(',') : 'every port'}`);
          return [
            `NFQUEUE steering "${IPS_STEERING_NAME}" (nft table or iptables chains) of ${ports.join('; ')} to queue ${s.queues.join(', ')}, with queue bypass`,
          ];
        },
      };
      return { ok: true, runtime: wrapper };
    },
    removeFromHost: () => removeTrafficSteering({ name: IPS_STEERING_NAME }),
  };
}
