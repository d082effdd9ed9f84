import type { AgentModuleContext } from '@bulwark/protocol';
import {
  removeTrafficSteering,
  sharedTrafficEngineHub,
  type TrafficEngineHub,
  type TrafficFindingsEvent,
} from '@bulwark/traffic/runtime';
import type { IpsFinding } from '../engine/ips-engine-contract.js';
import type {
  FindingsReport,
  IpsTrafficOptions,
  IpsTrafficPort,
  IpsTrafficRuntime,
  IpsTrafficStatus,
} from './traffic-port.js';

/**
 * The name of the agent's traffic steering (iptables chains, nft table): one runtime per agent,
 * shared with the other modules that inspect traffic (the hub), the same in every process.
 */
export const TRAFFIC_STEERING_NAME = 'bulwark';
/** The IPS's name at the hub. */
const OWNER = 'ips';
/** First NFQUEUE number unless the host's local options say `ips.queue = N`. */
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
 * The traffic engine's runtime on this host, behind the port the IPS agent uses: the IPS attaches
 * its inspector to the agent's one traffic hub (packages/traffic), so that web reputation and the
 * IPS both see the same ports. Queue numbers come from the host's local options (`ips.queue`,
 * `ips.queueCount` in /etc/bulwark/agent.conf). The hub takes deadline, default verdict and body
 * depth when it starts; a later change of them is named in the status until the agent restarts.
 */
export function hostTrafficPort(
  context: AgentModuleContext,
  hubFor: typeof sharedTrafficEngineHub = sharedTrafficEngineHub,
): IpsTrafficPort {
  const queue = localNumber(context, 'ips.queue', DEFAULT_IPS_QUEUE, 65_535 - MAX_QUEUE_COUNT);
  const queueCount = Math.max(1, localNumber(context, 'ips.queueCount', DEFAULT_IPS_QUEUE_COUNT, MAX_QUEUE_COUNT));

  return {
    async start(first, onFindings) {
      const hub: TrafficEngineHub = hubFor({
        queue,
        queueCount,
        deadlineMs: first.deadlineMs,
        defaultVerdict: first.failMode === 'open' ? 'accept' : 'drop',
        name: TRAFFIC_STEERING_NAME,
        limits: { httpBodyInspectionDepth: first.inspectionDepthBytes },
        onError: (error) =>
          context.log.warn('ips: the traffic engine reported an error', {
            error: error instanceof Error ? error.message : String(error),
          }),
      });
      const handler = (event: TrafficFindingsEvent<IpsFinding>) =>
        onFindings({
          flow: event.flow,
          direction: event.direction,
          enforced: event.enforced,
          failedOpen: event.failedOpen,
          timeMs: event.timeMs,
          findings: event.findings,
        } satisfies FindingsReport);
      hub.setMode(first.mode);
      const attached = await hub.attach(OWNER, [first.inspector], handler);
      if (!attached.ok) return attached;
      let current: IpsTrafficOptions = first;
      const runtime: IpsTrafficRuntime = {
        async update(next) {
          hub.setMode(next.mode);
          const r = await hub.attach(OWNER, [next.inspector], handler);
          if (r.ok) current = next;
          return r;
        },
        stop: async () => {
          await hub.detach(OWNER);
        },
        status(): IpsTrafficStatus {
          const s = hub.stats();
          if (s === undefined) return { counters: {} };
          const e = s.engine;
          const lost = s.channels.reduce((n, c) => n + c.itemsLost, 0);
          const defaulted = s.channels.reduce((n, c) => n + c.defaulted + c.overflowDefaulted, 0);
          const pending =
            current.deadlineMs !== first.deadlineMs ||
            current.failMode !== first.failMode ||
            current.inspectionDepthBytes !== first.inspectionDepthBytes;
          const problems = [
            ...(s.stallGuard ? [`stall guard not running: ${s.stallGuard}`] : []),
            ...(lost > 0
              ? [`${lost} packets never reached the agent (it fell behind) and got the default verdict uninspected`]
              : []),
            ...(pending
              ? ['a changed fail deadline, fail mode or inspection depth takes effect when the agent restarts']
              : []),
          ];
          return {
            counters: {
              packets: s.packets,
              verdictsLate: s.verdictsLate,
              blocksFailedOpen: s.blocksFailedOpen,
              deadlineDefaults: defaulted,
              packetsLost: lost,
              stallBypasses: s.stallBypasses,
              flowsActive: e.flowsActive,
              flowsHandedBack: e.flowsHandedBack,
              flowsRepliesHandedBack: e.flowsRepliesHandedBack,
              bareAcksAcceptedNatively: s.channels.reduce((n, c) => n + c.answeredNatively, 0),
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
          const s = hub.stats();
          if (s === undefined) return [];
          const ports = s.ports.map((p) => `${p.protocol} ${p.ports.length > 0 ? p.ports.join(',') : 'every port'}`);
          return [
            `NFQUEUE steering "${TRAFFIC_STEERING_NAME}" (iptables chains BWTRF-*, nft table) of ${ports.join('; ')} to queue ${s.queues.join(', ')}, with queue bypass`,
          ];
        },
      };
      return { ok: true, runtime };
    },
    removeFromHost: () => removeTrafficSteering({ name: TRAFFIC_STEERING_NAME }),
  };
}
