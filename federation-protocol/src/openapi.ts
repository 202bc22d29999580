import { z } from 'zod';
import { problemCatalogue, PROBLEM_TYPE_PREFIX } from './problems.ts';
import { impliedProblems, routes, type RouteSpec } from './routes.ts';
import { PROTOCOL_VERSION } from './version.ts';

const toSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

const stripDollarSchema = ({ $schema: _s, ...rest }: Record<string, unknown>) => rest;

function parametersOf(spec: RouteSpec) {
  const out: Record<string, unknown>[] = [];
  for (const [where, schema] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

/** The OpenAPI 3.1 document, generated from the route catalogue and its zod schemas. */
export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of Object.values(routes) as RouteSpec[]) {
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, body] of Object.entries(spec.responses)) {
      if (body === null) responses[status] = { description: 'No content' };
      else if (body === 'binary')
        responses[status] = {
          description: 'Bytes',
          content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
        };
      else if (body === 'text/csv') responses[status] = { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } };
      else if (typeof body === 'string')
        responses[status] = { description: 'A compact JWS', content: { [body]: { schema: { type: 'string', contentMediaType: body } } } };
      else responses[status] = { description: 'OK', content: { 'application/json': { schema: stripDollarSchema(toSchema(body as z.ZodType, 'output')) } } };
    }
    const codes = [...new Set<keyof typeof problemCatalogue>([...spec.problems, ...impliedProblems(spec)])];
    const byStatus = new Map<number, string[]>();
    for (const code of codes) {
      const { status } = problemCatalogue[code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, list] of byStatus) {
      responses[String(status)] = {
        description: list.map((c) => `\`${c}\`: ${problemCatalogue[c as keyof typeof problemCatalogue].title}`).join('; '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    paths[path] ??= {};
    paths[path][spec.method] = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.auth === 'device' ? { security: [{ deviceProof: [] }] } : spec.auth === 'admin' ? { security: [{ adminSession: [] }] } : {}),
      ...(spec.minRole ? { 'x-tessera-min-role': spec.minRole } : {}),
      parameters: parametersOf(spec),
      ...(spec.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: stripDollarSchema(toSchema(spec.body, 'input')) } } } }
        : spec.rawBody
          ? { requestBody: { required: true, content: { [spec.rawBody]: { schema: { type: 'string', contentMediaType: spec.rawBody } } } } }
          : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera license server',
      version: PROTOCOL_VERSION,
      description: 'Device API, admin API and public authority documents. See federation-protocol/SPEC.md.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: {
        deviceProof: {
          type: 'http',
          scheme: 'Tessera-Proof',
          description: 'A `tessera-proof+jwt` signed by the device key, bound to method, URL, body digest, time and a one-time jti.',
        },
        adminSession: { type: 'apiKey', in: 'cookie', name: 'tessera.sid' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string', description: `${PROBLEM_TYPE_PREFIX}<code>` },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string', enum: Object.keys(problemCatalogue) },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
