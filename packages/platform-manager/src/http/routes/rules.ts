import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { RouteRole } from '../console-auth.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const ModuleId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' });
const RuleId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });

const RuleSource = Type.Object({
  kind: Type.Union([Type.Literal('policy'), Type.Literal('computer')]),
  id: Type.String(),
  name: Type.String(),
});

export const CatalogueRule = Type.Object({
  module: Type.String(),
  id: Type.String(),
  builtIn: Type.Boolean({ description: 'Shipped with the module (read-only), or created through the API' }),
  definition: Type.Unknown({ description: "The rule, as the module's rule schema describes it" }),
  createdAt: NullableIsoTime,
  updatedAt: NullableIsoTime,
});

const RuleDetail = Type.Object({
  ...CatalogueRule.properties,
  assignedTo: Type.Array(RuleSource, { description: 'Every policy and computer that assigns it directly' }),
  excludedFromRecommendations: Type.Boolean(),
  innerRule: Type.Optional(
    Type.Object(
      {
        id: Type.String(),
        description: Type.String(),
        assignableRuleId: Type.Union([Type.String(), Type.Null()]),
        details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      {
        description:
          'Set when asked by the id of a rule inside this one, as events name it (log inspection: 100302 inside loginspect.su)',
      },
    ),
  ),
});

export const EffectiveRule = Type.Object({
  module: Type.String(),
  id: Type.String(),
  builtIn: Type.Boolean(),
  definition: Type.Unknown(),
  overrides: Type.Unknown({ description: 'Property overrides merged root → leaf (the nearest level wins)' }),
  assignedAt: Type.Array(RuleSource, { description: 'The levels that assign it directly, root → leaf' }),
});

const ModuleParams = Type.Object({ module: ModuleId }, { additionalProperties: false });
const RuleParams = Type.Object({ module: ModuleId, ruleId: RuleId }, { additionalProperties: false });
const TargetParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const TargetRuleParams = Type.Object({ id: Uuid, module: ModuleId, ruleId: RuleId }, { additionalProperties: false });
const CatalogueQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(
      Type.String({ maxLength: 200, description: 'Rules whose id or definition contains this (any case)' }),
    ),
  },
  { additionalProperties: false },
);
const EffectiveQuery = Type.Object({ module: Type.Optional(ModuleId) }, { additionalProperties: false });

const RuleChange = Type.Object(
  { module: ModuleId, ruleIds: Type.Array(RuleId, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
const Overrides = Type.Object(
  { overrides: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 64 }) },
  { additionalProperties: false },
);
const CustomRuleBody = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
  description: "A rule fitting the module's rule schema, with a string `id` no other rule of the module has",
});
/** A rule file is text of several megabytes (ET Open's web rules are ~10 MB); JSON adds little. */
export const RULE_FILE_BODY_LIMIT_BYTES = 64 * 1_048_576;
const RuleFileBody = Type.Object(
  {
    text: Type.String({
      maxLength: RULE_FILE_BODY_LIMIT_BYTES,
      description: 'The rule file as it is, e.g. a Suricata .rules file',
    }),
  },
  { additionalProperties: false },
);
const RuleFileAnswer = Type.Object({
  module: Type.String(),
  added: Type.Integer(),
  replaced: Type.Integer(),
  unchanged: Type.Integer(),
  refused: Type.Array(Type.Object({ line: Type.Integer(), id: Type.Optional(Type.String()), reason: Type.String() }), {
    description: 'Rules refused whole, with the file line (0: refused after reading) and why',
  }),
  refusedByReason: Type.Record(Type.String(), Type.Integer()),
  skippedLines: Type.Integer({ description: 'Comments, rules commented out and blank lines' }),
  changedComputerIds: Type.Array(Type.String()),
});
const Exclusion = Type.Object({ excluded: Type.Boolean() }, { additionalProperties: false });
const ScanBody = Type.Object({ autoApply: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

const ChangedComputers = Type.Array(Type.String(), { description: 'Computers whose configuration changed (woken)' });
const RuleIdsByModule = Type.Record(Type.String(), Type.Array(Type.String()));
const NotApplied = Type.Record(Type.String(), Type.Array(Type.Object({ id: Type.String(), reason: Type.String() })), {
  description: 'Recommended rules auto-apply left out because the module could not enforce them here, and why',
});
const ScanResult = Type.Object({
  computerId: Type.String(),
  scannedAt: IsoTime,
  inventoryDigest: Type.String(),
  recommended: RuleIdsByModule,
  applied: RuleIdsByModule,
  excluded: RuleIdsByModule,
});

/**
 * The rule catalogue of each module, rule assignment at policies and computers, rule property
 * overrides, "Exclude from recommendations" and recommendation scans. Changes that alter what
 * computers compile to wake their agents, as settings changes do.
 */
export async function ruleRoutes(scope: FastifyInstance, { services, wakeHub }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.get(
    '/api/modules/:module/rules',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['rules'],
        params: ModuleParams,
        querystring: CatalogueQuery,
        response: { 200: PageOf(CatalogueRule), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.rules.catalogue(request.params.module, request.query)),
  );
  app.get(
    '/api/modules/:module/rules/:ruleId',
    {
      config: { role: 'auditor' },
      schema: { tags: ['rules'], params: RuleParams, response: { 200: RuleDetail, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.rules.get(request.params.module, request.params.ruleId)),
  );
  app.post(
    '/api/modules/:module/rules',
    {
      config: { role: 'administrator' },
      schema: {
        tags: ['rules'],
        params: ModuleParams,
        body: CustomRuleBody,
        response: { 201: CatalogueRule, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.rules.createCustom(request.params.module, request.body, actorOf(request.principal)),
        (rule) => rule,
        201,
      ),
  );
  app.post(
    '/api/modules/:module/rules/import',
    {
      config: { role: 'administrator' },
      bodyLimit: RULE_FILE_BODY_LIMIT_BYTES,
      schema: {
        tags: ['rules'],
        params: ModuleParams,
        body: RuleFileBody,
        response: { 200: RuleFileAnswer, ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await services.rules.importRuleFile(
        request.params.module,
        request.body.text,
        actorOf(request.principal),
      );
      if (result.ok) wakeHub.wake([...result.value.changedComputerIds]);
      return sendResult(reply, result);
    },
  );
  app.put(
    '/api/modules/:module/rules/:ruleId',
    {
      config: { role: 'administrator' },
      schema: {
        tags: ['rules'],
        params: RuleParams,
        body: CustomRuleBody,
        response: {
          200: Type.Object({ rule: CatalogueRule, changedComputerIds: ChangedComputers }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await services.rules.updateCustom(
        request.params.module,
        request.params.ruleId,
        request.body,
        actorOf(request.principal),
      );
      if (result.ok) wakeHub.wake(result.value.changedComputerIds);
      return sendResult(reply, result);
    },
  );
  app.delete(
    '/api/modules/:module/rules/:ruleId',
    {
      config: { role: 'administrator' },
      schema: { tags: ['rules'], params: RuleParams, response: { 200: CatalogueRule, ...problemResponses } },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.rules.deleteCustom(request.params.module, request.params.ruleId, actorOf(request.principal)),
      ),
  );
  app.put(
    '/api/modules/:module/rules/:ruleId/exclude-from-recommendations',
    {
      config: { role: 'administrator' },
      schema: {
        tags: ['rules'],
        params: RuleParams,
        body: Exclusion,
        response: {
          200: Type.Object({ module: Type.String(), ruleId: Type.String(), excluded: Type.Boolean() }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.rules.setExcludedFromRecommendations(
          request.params.module,
          request.params.ruleId,
          request.body.excluded,
          actorOf(request.principal),
        ),
      ),
  );

  const levels: { kind: 'policy' | 'computer'; path: string; tag: string; changeRole: RouteRole }[] = [
    { kind: 'policy', path: '/api/policies/:id/rules', tag: 'policies', changeRole: 'administrator' },
    { kind: 'computer', path: '/api/computers/:id/rules', tag: 'computers', changeRole: 'operator' },
  ];
  for (const level of levels) {
    app.get(
      level.path,
      {
        config: { role: 'auditor' },
        schema: {
          tags: [level.tag, 'rules'],
          params: TargetParams,
          querystring: EffectiveQuery,
          response: { 200: PageOf(EffectiveRule), ...problemResponses },
        },
      },
      async (request, reply) =>
        sendResult(
          reply,
          await services.rules.effective({ kind: level.kind, id: request.params.id }, request.query.module),
          (items) => ({ items, nextCursor: null }),
        ),
    );
    app.post(
      level.path,
      {
        config: { role: level.changeRole },
        schema: {
          tags: [level.tag, 'rules'],
          params: TargetParams,
          body: RuleChange,
          response: {
            200: Type.Object({ assigned: Type.Array(Type.String()), changedComputerIds: ChangedComputers }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const result = await services.rules.assign(
          { kind: level.kind, id: request.params.id },
          request.body.module,
          request.body.ruleIds,
          actorOf(request.principal),
        );
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
    app.delete(
      level.path,
      {
        config: { role: level.changeRole },
        schema: {
          tags: [level.tag, 'rules'],
          params: TargetParams,
          body: RuleChange,
          response: {
            200: Type.Object({ unassigned: Type.Array(Type.String()), changedComputerIds: ChangedComputers }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const result = await services.rules.unassign(
          { kind: level.kind, id: request.params.id },
          request.body.module,
          request.body.ruleIds,
          actorOf(request.principal),
        );
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
    app.put(
      `${level.path}/:module/:ruleId/overrides`,
      {
        config: { role: level.changeRole },
        schema: {
          tags: [level.tag, 'rules'],
          params: TargetRuleParams,
          body: Overrides,
          response: {
            200: Type.Object({ overrides: Type.Unknown(), changedComputerIds: ChangedComputers }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const result = await services.rules.setOverrides(
          { kind: level.kind, id: request.params.id },
          request.params.module,
          request.params.ruleId,
          request.body.overrides,
          actorOf(request.principal),
        );
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
  }

  app.post(
    '/api/computers/:id/recommendation-scan',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['computers', 'rules'],
        params: TargetParams,
        body: ScanBody,
        response: {
          200: Type.Object({ ...ScanResult.properties, notApplied: NotApplied, changedComputerIds: ChangedComputers }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await services.recommendations.scan(
        request.params.id,
        { autoApply: request.body.autoApply === true },
        actorOf(request.principal),
      );
      if (result.ok) wakeHub.wake(result.value.changedComputerIds);
      return sendResult(reply, result);
    },
  );
  app.get(
    '/api/computers/:id/recommendation-scan',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['computers', 'rules'],
        params: TargetParams,
        response: { 200: ScanResult, ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.recommendations.last(request.params.id)),
  );
}
