import { MAX_UPDATE_PACKAGE_BYTES, UPDATE_KIND_PATTERN } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IsoTime, NullableIsoTime, problemResponses } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import { sendProblem } from '../problem-types.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

const PackageVersion = Type.Object({
  kind: Type.String(),
  version: Type.Integer(),
  sha256: Type.String(),
  size: Type.Integer({ description: 'Bytes' }),
  note: Type.String(),
  createdAt: IsoTime,
  createdBy: Type.String(),
  withdrawnAt: NullableIsoTime,
  withdrawnBy: NullableString,
});

const KindSummary = Type.Object({
  kind: Type.String(),
  module: Type.String(),
  description: Type.String(),
  current: Type.Union([Type.Integer(), Type.Null()], { description: 'The version agents are told to run' }),
  versions: Type.Array(PackageVersion),
  computersCurrent: Type.Integer(),
  computersBehind: Type.Integer(),
});

const ComputerState = Type.Object({
  computerId: Type.String(),
  computerName: Type.String(),
  version: NullableInteger,
  previous: NullableInteger,
  state: Type.String({ description: 'current, pending, failed, held-back, or unknown (never reported)' }),
  reason: NullableString,
  reportedAt: NullableIsoTime,
  behind: Type.Boolean(),
});

const KindParams = Type.Object(
  { kind: Type.String({ pattern: UPDATE_KIND_PATTERN }) },
  { additionalProperties: false },
);

// base64 is 4/3 of the bytes; a little room for the note and the JSON around it.
const IMPORT_BODY_LIMIT = Math.ceil((MAX_UPDATE_PACKAGE_BYTES * 4) / 3) + 65_536;

const ImportBody = Type.Object(
  {
    contentBase64: Type.String({ description: 'The package content, base64', maxLength: IMPORT_BODY_LIMIT }),
    note: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** Update packages (docs/update-packages.md): list, import, roll back, and who is behind. */
export async function updatePackageRoutes(
  scope: FastifyInstance,
  { services, wakeHub }: ConsoleRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.get(
    '/api/updates',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['updates'],
        summary: 'Every kind of update package the modules consume, its versions and how many computers run it',
        response: { 200: Type.Object({ kinds: Type.Array(KindSummary) }), ...problemResponses },
      },
    },
    async (_request, reply) => sendResult(reply, await services.updatePackages.list(), (kinds) => ({ kinds })),
  );

  app.post(
    '/api/updates/:kind',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { role: 'administrator' },
      schema: {
        tags: ['updates'],
        summary: 'Imports content for a kind as its next version, signed; agents download it',
        params: KindParams,
        body: ImportBody,
        response: { 201: PackageVersion, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { contentBase64, note } = request.body;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(contentBase64) || contentBase64.length % 4 !== 0)
        return sendProblem(reply, 'validation', 'contentBase64 is not base64', [
          { path: '/contentBase64', message: 'not base64 (A-Z a-z 0-9 + /, padded with =)' },
        ]);
      const result = await services.updatePackages.importPackage(
        request.params.kind,
        Buffer.from(contentBase64, 'base64'),
        note ?? '',
        actorOf(request.principal),
      );
      if (result.ok) wakeHub.wake(result.value.changed);
      return sendResult(reply, result, (r) => r.package, 201);
    },
  );

  app.post(
    '/api/updates/:kind/rollback',
    {
      config: { role: 'administrator' },
      schema: {
        tags: ['updates'],
        summary: 'Withdraws the current version: agents go back to the version before it',
        params: KindParams,
        response: {
          200: Type.Object({ withdrawn: Type.Integer(), current: Type.Integer() }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await services.updatePackages.rollback(request.params.kind, actorOf(request.principal));
      if (result.ok) wakeHub.wake(result.value.changed);
      return sendResult(reply, result, ({ withdrawn, current }) => ({ withdrawn, current }));
    },
  );

  app.get(
    '/api/updates/:kind/computers',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['updates'],
        summary: 'Which version each computer runs; the ones behind come first',
        params: KindParams,
        response: { 200: Type.Object({ computers: Type.Array(ComputerState) }), ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.updatePackages.computers(request.params.kind), (computers) => ({ computers })),
  );
}
