import type { FastifyInstance } from 'fastify';
import type { ConsoleRouteContext } from '../console-server.js';
import type { Services } from '../service-types.js';

// Counting computers pages through them; past this many pages the gauge is left out rather than slow.
const MAX_COMPUTER_PAGES = 200;

async function computersByStatus(services: Services): Promise<Record<string, number> | null> {
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  for (let page = 0; page < MAX_COMPUTER_PAGES; page++) {
    const listed = await services.computers.list({ limit: 500, ...(cursor === null ? {} : { cursor }) });
    if (!listed.ok) return null;
    for (const computer of listed.value.items) counts[computer.status] = (counts[computer.status] ?? 0) + 1;
    cursor = listed.value.nextCursor;
    if (cursor === null) return counts;
  }
  return null;
}

/** Prometheus metrics; scrape with an auditor API key as bearer token. */
export async function metricsRoutes(app: FastifyInstance, context: ConsoleRouteContext): Promise<void> {
  app.get(
    '/metrics',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['system'],
        response: { 200: { description: 'Prometheus text format 0.0.4', type: 'string' } },
      },
    },
    async (_request, reply) => {
      const body = await context.metrics.render({
        version: context.version,
        wakePolls: context.wakeHub.totalWaiting(),
        computers: await computersByStatus(context.services),
      });
      return reply.type(context.metrics.contentType).send(body);
    },
  );
}
