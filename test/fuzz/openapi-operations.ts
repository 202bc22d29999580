/** The parts of `/openapi.json` the fuzzer reads: operations, their inputs and what they may answer. */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface DeclaredResponse {
  status: number;
  /** The media type of a success answer; none for 204. */
  mediaType?: string;
  /** For error statuses: the problem codes the description lists. */
  codes: string[];
}

export interface Operation {
  operationId: string;
  method: string;
  /** `/t/{authority}/contents/{contentId}` */
  template: string;
  segments: string[];
  auth: 'device' | 'admin' | 'none';
  parameters: Parameter[];
  body?: { mediaType: string; schema?: JsonSchema };
  responses: Map<number, DeclaredResponse>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
}

interface RawOperation {
  operationId: string;
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}

export interface ApiContract {
  operations: Operation[];
  problemCodes: Set<string>;
}

export function readContract(document: unknown): ApiContract {
  const doc = document as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const scheme = op.security?.[0] ? Object.keys(op.security[0])[0] : undefined;
      const responses = new Map<number, DeclaredResponse>();
      for (const [status, answer] of Object.entries(op.responses)) {
        const mediaType = answer.content ? Object.keys(answer.content)[0] : undefined;
        const codes = [...answer.description.matchAll(/`([a-z_]+)`:/g)].map((m) => m[1]!);
        responses.set(Number(status), { status: Number(status), ...(mediaType ? { mediaType } : {}), codes });
      }
      const [mediaType, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        segments: template.split('/').slice(1),
        auth: scheme === 'deviceProof' ? 'device' : scheme === 'adminSession' ? 'admin' : 'none',
        parameters: op.parameters ?? [],
        ...(mediaType ? { body: { mediaType, ...(content?.schema ? { schema: content.schema } : {}) } } : {}),
        responses,
      });
    }
  }
  return { operations, problemCodes: new Set(doc.components.schemas.Problem.properties.code.enum) };
}

/**
 * The operations Express would route a raw path to: literal segments compare without case, a
 * parameter takes any non-empty segment, and one trailing slash is ignored (Express 5 defaults).
 */
export function operationsMatching(contract: ApiContract, rawPath: string): Operation[] {
  let path = rawPath.split('?')[0]!;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.split('/').slice(1);
  return contract.operations.filter(
    (op) =>
      op.segments.length === segments.length &&
      op.segments.every((s, i) => (s.startsWith('{') ? segments[i] !== '' : s.toLowerCase() === segments[i]!.toLowerCase())),
  );
}
