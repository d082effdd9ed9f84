import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { fail, ok, type Result } from '../services/result.js';
import type { Destination } from './destination-schema.js';
import { eventMessage } from './event-message.js';
import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';
import { noSiemFields } from './siem-field-source.js';
import { openSyslogConnection } from './syslog-connection.js';

export const DestinationTestResult = Type.Object({
  id: Type.String(),
  sent: Type.Boolean({ description: 'The test message left the manager (over udp this does not prove it arrived)' }),
  transport: Type.String(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it could not be sent' }),
  elapsedMs: Type.Integer(),
});
export interface DestinationTestResult {
  readonly id: string;
  readonly sent: boolean;
  readonly transport: string;
  readonly error: string | null;
  readonly elapsedMs: number;
}

/** The message a test sends: a real event in the destination's format, so the SIEM's parser is tested too. */
export function testEvent(destination: Destination, at: Date): ForwardedEvent {
  return {
    id: '00000000-0000-0000-0000-000000000000',
    computerId: '00000000-0000-0000-0000-000000000000',
    seq: 0,
    time: at.toISOString(),
    agentTime: at.toISOString(),
    receivedAt: at.toISOString(),
    module: 'forwarding',
    type: 'test',
    severity: 'info',
    ruleId: null,
    action: null,
    summary: `Bulwark forwarding test for destination "${destination.name}"`,
    details: { destinationId: destination.id },
    computer: { hostname: hostname(), name: 'bulwark-manager', policyId: null },
  };
}

/**
 * Sends one test event to a destination on a connection of its own, apart from the forwarder's
 * queue (nothing is counted as sent there). A refused or failing connection is an answer, not an error.
 */
export async function sendTestEvent(
  destination: Destination | undefined,
  identity: ProductIdentity,
  now: () => Date = () => new Date(),
): Promise<Result<DestinationTestResult>> {
  if (destination === undefined) return fail('not-found', 'forwarding destination not found');
  const started = Date.now();
  const answer = (error: string | null) =>
    ok({
      id: destination.id,
      sent: error === null,
      transport: destination.transport,
      error,
      elapsedMs: Date.now() - started,
    });
  try {
    const connection = await openSyslogConnection(destination);
    try {
      await connection.send([eventMessage(testEvent(destination, now()), destination.format, identity, noSiemFields)]);
    } finally {
      connection.close();
    }
    return answer(null);
  } catch (error) {
    return answer(error instanceof Error ? error.message || error.name : String(error));
  }
}
