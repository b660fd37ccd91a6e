import type { FastifyPluginAsync } from 'fastify';
import { API_SCOPES, type ApiScope, type ServerDeps } from '../contracts.ts';
import { principalOf, secured } from '../principal.ts';
import { apiKeySchema, errorResponses, idParams, okSchema } from '../schemas.ts';

/** The caller's API keys. A key is shown once, at creation; only its SHA-256 is kept. */
export const apiKeyRoutes: FastifyPluginAsync<ServerDeps> = async (app, { auth }) => {
  const tags = ['api-keys'];
  const signedIn = async (request: Parameters<typeof principalOf>[0]) => {
    principalOf(request);
  };

  app.get(
    '/api-keys',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Your API keys',
        security: secured,
        response: { 200: { type: 'object', properties: { apiKeys: { type: 'array', items: apiKeySchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ apiKeys: await auth.listApiKeys(principalOf(request)) }),
  );

  app.post<{ Body: { name: string; scopes: ApiScope[]; expiresAt?: string } }>(
    '/api-keys',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Create an API key (the key is in this response only)',
        security: secured,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            scopes: {
              type: 'array',
              minItems: 1,
              maxItems: API_SCOPES.length,
              uniqueItems: true,
              items: { type: 'string', enum: [...API_SCOPES] },
            },
            expiresAt: { type: 'string', format: 'date-time' },
          },
          required: ['name', 'scopes'],
        },
        response: {
          201: {
            type: 'object',
            properties: {
              key: { type: 'string', description: 'Send as `X-API-Key` or `Authorization: Bearer`. Shown once.' },
              apiKey: apiKeySchema,
            },
            required: ['key', 'apiKey'],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { name, scopes, expiresAt } = request.body;
      const created = await auth.createApiKey(principalOf(request), {
        name,
        scopes,
        expiresAt: expiresAt ? new Date(expiresAt) : undefined,
      });
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api-keys/:id',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Revoke an API key',
        security: secured,
        params: idParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await auth.revokeApiKey(principalOf(request), request.params.id);
      return { ok: true };
    },
  );
};
