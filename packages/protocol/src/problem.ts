import { type Static, Type } from '@sinclair/typebox';

/** RFC 9457 problem details, the body of every error response (application/problem+json). */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'Stable identifier of the kind of problem, e.g. urn:bulwark:problem:validation' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof Problem>;

/**
 * The problem type the manager answers an agent whose computer was deactivated (403): the agent
 * stops, removes its kernel hooks and forgets its identity instead of retrying.
 */
export const COMPUTER_DEACTIVATED_PROBLEM = 'urn:bulwark:problem:computer-deactivated';
