import { COMMAND_NAME_PATTERN } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services, SnapshotSummary } from '../../services/index.js';
import { fail, type Result } from '../../services/result.js';
import { IdParams, NullableIsoTime, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { sendResult } from '../service-types.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const SnapshotSummaryAnswer = Type.Object({
  ruleId: Type.String({ description: "The snapshot's name: the rule it was built for" }),
  version: Type.String(),
  builtAt: NullableString,
  entries: Type.Integer({ description: 'Entries in the snapshot on the agent' }),
  stored: Type.Integer({ description: 'Entries the manager keeps (the first ones in key order)' }),
  truncated: Type.Boolean(),
  note: NullableString,
  receivedAt: NullableIsoTime,
});

const SnapshotEntry = Type.Object({
  key: Type.String({ description: 'File path (escaped where not UTF-8) or entity name' }),
  keyBase64: Type.Optional(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
});

const SnapshotAnswer = Type.Object({
  rules: Type.Array(SnapshotSummaryAnswer),
  items: Type.Optional(Type.Array(SnapshotEntry)),
  nextCursor: Type.Optional(NullableString),
});

const RuleQuery = Type.Object(
  { rule: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), ...PageQuery },
  { additionalProperties: false },
);

const ModuleParams = Type.Object(
  { id: Uuid, module: Type.String({ pattern: COMMAND_NAME_PATTERN }) },
  { additionalProperties: false },
);

function summary(s: SnapshotSummary) {
  return {
    ruleId: s.name,
    version: s.version,
    builtAt: s.builtAt,
    entries: s.total,
    stored: s.stored,
    truncated: s.truncated,
    note: s.note,
    receivedAt: s.receivedAt,
  };
}

/** Without `rule`, the snapshots the manager holds; with it, one snapshot's entries, a page at a time. */
async function answer(
  services: Services,
  reply: FastifyReply,
  computerId: string,
  module: string,
  query: { rule?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<FastifyReply> {
  const known = services.modules.list().some((m) => m.id === module && m.snapshots !== undefined);
  if (!known) {
    const none: Result<never> = fail('not-found', `module ${module} keeps no snapshots on the manager`);
    return sendResult(reply, none);
  }
  const { rule, limit, cursor } = query;
  if (rule === undefined) {
    return sendResult(reply, await services.computerSnapshots.list(computerId, module), (rules) => ({
      rules: rules.map(summary),
    }));
  }
  const page = await services.computerSnapshots.entries(computerId, module, rule, {
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  return sendResult(reply, page, (p) => ({
    rules: [summary(p)],
    items: p.items.map((e) => ({
      key: e.key,
      ...(e.keyBase64 === undefined ? {} : { keyBase64: e.keyBase64 }),
      attributes: e.value,
    })),
    nextCursor: p.nextCursor,
  }));
}

/**
 * The manager's copies of module snapshots (module-snapshots.ts), for every module that declares
 * `snapshots`: one generic route, and per module the alias its users know (`/integrity/baseline`).
 */
export async function computerSnapshotRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const response = { 200: SnapshotAnswer, ...problemResponses };

  app.get(
    '/api/computers/:id/modules/:module/snapshots',
    {
      config: { role: 'auditor' },
      schema: { tags: ['computers'], params: ModuleParams, querystring: RuleQuery, response },
    },
    async (request, reply) => {
      await answer(services, reply, request.params.id, request.params.module, request.query);
      return reply;
    },
  );
  for (const module of services.modules.list()) {
    if (module.snapshots === undefined) continue;
    app.get(
      `/api/computers/:id/${module.id}/${module.snapshots.noun}`,
      {
        config: { role: 'auditor' },
        schema: {
          tags: ['computers'],
          summary: module.snapshots.summary,
          params: IdParams,
          querystring: RuleQuery,
          response,
        },
      },
      async (request, reply) => {
        await answer(services, reply, request.params.id, module.id, request.query);
        return reply;
      },
    );
  }
}
