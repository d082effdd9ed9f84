import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { installConsoleAuth } from '../http/console-auth.js';
import { installProblemHandlers } from '../http/error-handler.js';
import { installSchemaValidation } from '../http/schema-validation.js';
import { alice, must, openTestServices, type TestServices } from '../services/test-services.js';
import { testStores } from '../storage/test-stores.js';
import { destinationsService } from './destinations.js';
import { forwardingRoutes } from './forwarding-routes.js';

const valid = { name: 'SIEM', transport: 'tcp', host: 'siem.example', port: 6514, format: 'cef' };

for (const store of await testStores()) {
  describe(`forwarding routes (${store.name})`, { skip: store.skip }, () => {
    let t: TestServices;
    let app: FastifyInstance;
    const keys: Record<string, string> = {};

    before(async () => {
      t = await openTestServices(store);
      app = Fastify({ logger: false });
      installSchemaValidation(app);
      installProblemHandlers(app);
      await app.register(fastifyCookie, { hook: 'onRequest', parseOptions: {} });
      installConsoleAuth(app, t.services);
      const forwarding = destinationsService(t.store.db, t.clock.now);
      await app.register(async (scope) => forwardingRoutes(scope, { services: { forwarding } }));
      for (const role of ['administrator', 'operator', 'auditor'] as const)
        keys[role] = must(await t.services.apiKeys.create({ name: role, role }, alice)).key;
    });
    after(async () => {
      await app?.close();
      await t?.close();
    });

    const call = (role: string | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: role === null ? {} : { authorization: `Bearer ${keys[role]}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });

    test('administrators create, change and delete; auditors read; others are refused', async () => {
      assert.equal((await call(null, 'GET', '/api/forwarding/destinations')).statusCode, 401);
      assert.equal((await call('operator', 'POST', '/api/forwarding/destinations', valid)).statusCode, 403);
      assert.equal((await call('auditor', 'POST', '/api/forwarding/destinations', valid)).statusCode, 403);
      const created = await call('administrator', 'POST', '/api/forwarding/destinations', valid);
      assert.equal(created.statusCode, 201, created.body);
      const destination = created.json() as {
        id: string;
        minimumSeverity: string;
        modules: unknown;
        policyId: unknown;
      };
      assert.equal(destination.minimumSeverity, 'info');
      assert.equal(destination.modules, null);
      assert.equal(destination.policyId, null);

      const listed = await call('auditor', 'GET', '/api/forwarding/destinations');
      assert.equal(listed.statusCode, 200);
      assert.deepEqual(
        (listed.json() as { items: { id: string }[] }).items.map((d) => d.id),
        [destination.id],
      );

      const status = await call('auditor', 'GET', `/api/forwarding/destinations/${destination.id}/status`);
      assert.equal(status.statusCode, 200);
      assert.deepEqual(
        { ...(status.json() as object) },
        { id: destination.id, backlog: 0, sent: 0, skipped: 0, lastSentAt: null, lastError: null, lastErrorAt: null },
      );

      assert.equal(
        (await call('auditor', 'PATCH', `/api/forwarding/destinations/${destination.id}`, { port: 1 })).statusCode,
        403,
      );
      const changed = await call('administrator', 'PATCH', `/api/forwarding/destinations/${destination.id}`, {
        modules: ['firewall'],
        minimumSeverity: 'high',
      });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual((changed.json() as { modules: string[] }).modules, ['firewall']);

      const audit = must(await t.services.audit.list({ targetKind: 'forwarding-destination' }));
      assert.deepEqual(audit.items.map((a) => a.action).sort(), [
        'forwarding-destination.create',
        'forwarding-destination.update',
      ]);

      assert.equal(
        (await call('administrator', 'DELETE', `/api/forwarding/destinations/${destination.id}`)).statusCode,
        204,
      );
      assert.equal((await call('auditor', 'GET', `/api/forwarding/destinations/${destination.id}`)).statusCode, 404);
    });

    test('bad destinations get a validation problem that names the field; nothing is stored', async () => {
      for (const bad of [
        { ...valid, transport: 'smtp' },
        { ...valid, port: 70000 },
        { ...valid, host: 'a b' },
        { ...valid, format: 'xml' },
        { ...valid, extra: 1 },
        { ...valid, caCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', transport: 'tls' },
        { ...valid, caCertificate: 'x' },
        { ...valid, minimumSeverity: 'urgent' },
      ]) {
        const response = await call('administrator', 'POST', '/api/forwarding/destinations', bad);
        assert.equal(response.statusCode, 400, `${JSON.stringify(bad)} → ${response.body}`);
        assert.equal((response.json() as { type: string }).type, 'urn:bulwark:problem:validation');
      }
      const unknownPolicy = await call('administrator', 'POST', '/api/forwarding/destinations', {
        ...valid,
        policyId: '00000000-0000-4000-8000-000000000000',
      });
      assert.equal(unknownPolicy.statusCode, 404);
      const listed = await call('auditor', 'GET', '/api/forwarding/destinations');
      assert.deepEqual((listed.json() as { items: unknown[] }).items, []);
    });
  });
}
