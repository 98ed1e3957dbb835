import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ApiError } from '../api-error.js';
import { ERROR_RESPONSES } from '../schemas.js';

/** `GET /healthz` and `GET /metrics`: no login; keep the console on loopback or filter /metrics. */
export async function healthRoutes(app: FastifyInstance, opts: { metrics: Registry | undefined }): Promise<void> {
  app.get('/healthz', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/metrics', {
    schema: { response: { 200: Type.String(), ...ERROR_RESPONSES } },
  }, async (_request, reply) => {
    if (opts.metrics === undefined) throw new ApiError('NOT_FOUND', 'metrics are not enabled');
    const text = await opts.metrics.metrics();
    return reply.header('content-type', opts.metrics.contentType).send(text);
  });
}
