/**
 * Raw HTTP request bytes into inspection units through the traffic engine's own HTTP parser
 * (the same code that parses live flows), for the agent's `check` command, the per-rule tests
 * and the CRS replay: what they inspect is what the IPS would see on the wire.
 */
import {
  DEFAULT_TRAFFIC_LIMITS,
  type FlowEndpoints,
  HttpStreamParser,
  type InspectionUnit,
} from '@bulwark/traffic/engine';

const DEFAULT_FLOW: FlowEndpoints = {
  protocol: 'tcp',
  clientAddress: '192.0.2.10',
  clientPort: 40000,
  serverAddress: '192.0.2.1',
  serverPort: 80,
};

export function unitsFromRequestBytes(
  bytes: Uint8Array,
  options: { flow?: FlowEndpoints; timeMs?: number; flowId?: number } = {},
): InspectionUnit[] {
  const parser = new HttpStreamParser('request', DEFAULT_TRAFFIC_LIMITS, { pendingMethods: [] });
  const messages = [...parser.push(bytes), ...parser.end()];
  const units: InspectionUnit[] = [];
  for (const m of messages) {
    if (m.kind !== 'http-request') continue;
    units.push({
      kind: 'http-request',
      flowId: options.flowId ?? 1,
      flow: options.flow ?? DEFAULT_FLOW,
      direction: 'to_server',
      established: true,
      buffers: m.buffers,
      timeMs: options.timeMs ?? 0,
      http: m.http,
    });
  }
  return units;
}

/** `GET <target> HTTP/1.1` with a Host header, for checking one target by hand. */
export function requestForTarget(target: string): Uint8Array {
  return new Uint8Array(
    Buffer.from(`GET ${target} HTTP/1.1\r\nHost: check.invalid\r\nUser-Agent: bulwark-check\r\n\r\n`, 'latin1'),
  );
}
