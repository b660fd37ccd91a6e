import type { FastifyPluginAsync } from 'fastify';
import type { Role, ServerDeps } from '../contracts.ts';
import { principalOf, requireScope, secured } from '../principal.ts';
import { errorResponses, errorSchema, idParams, userSchema } from '../schemas.ts';

/** User administration (admin only). */
export const userRoutes: FastifyPluginAsync<ServerDeps> = async (app, { auth }) => {
  const admin = requireScope('admin');
  const tags = ['users'];

  app.get(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'List users',
        security: secured,
        response: { 200: { type: 'object', properties: { users: { type: 'array', items: userSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ users: await auth.listUsers(principalOf(request)) }),
  );

  app.post<{ Body: { email: string; password: string; name?: string; role?: Role } }>(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Create a user',
        security: secured,
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', minLength: 3, maxLength: 254 },
            password: { type: 'string', minLength: 8, maxLength: 1024 },
            name: { type: 'string', maxLength: 200 },
            role: { type: 'string', enum: ['admin', 'member'] },
          },
          required: ['email', 'password'],
        },
        response: { 201: userSchema, 409: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await auth.createUser(principalOf(request), request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/users/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'One user',
        security: secured,
        params: idParams,
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (request) => auth.getUser(principalOf(request), request.params.id),
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/users/:id/${action}`,
      {
        preHandler: admin,
        schema: {
          tags,
          summary: disabled ? 'Disable a user: ends their sessions; their tokens and API keys stop working' : 'Enable a user',
          security: secured,
          params: idParams,
          response: { 200: userSchema, 409: errorSchema, ...errorResponses },
        },
      },
      async (request) => auth.setUserDisabled(principalOf(request), request.params.id, disabled),
    );
  }
};
