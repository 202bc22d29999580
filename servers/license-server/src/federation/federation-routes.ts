import express from 'express';
import {
  FEDERATION_MEDIA_TYPE,
  federationMessages,
  formatZodIssues,
  routes,
  SUPPORTED_PROTOCOL_VERSIONS,
  TesseraProblem,
  type CopyCertificateRequest,
  type CopyCertificateResponse,
  type FederationRequestType,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute } from '../http/route.ts';
import { openEnvelope, sealEnvelope } from './envelope.ts';
import type { PeerRow } from './peer-queries.ts';

/** Envelopes carry a few kilobytes (a client certificate, a wrapped key); anything bigger is refused. */
const MAX_ENVELOPE_BYTES = 64 * 1024;

/**
 * Refusals that are not definite: the caller must ask again later, so they go out as plain
 * problem documents, never as a signed answer the caller would act on.
 */
const TRANSIENT = new Set(['move_in_progress', 'unavailable', 'internal_error']);

/**
 * What the endpoint does with the requests of other capabilities. The composition root passes
 * them in, so federation/ never imports the capabilities that build on it (moves/ calls peers).
 */
export interface FederationServices {
  /** `copy-certificate.request` (SPEC §10.7): the destination side of a cross-authority move. */
  signCopyCertificateForPeer: (ctx: AppContext, authority: AuthorityRef, peer: PeerRow, request: CopyCertificateRequest) => Promise<CopyCertificateResponse>;
}

type Handler = (ctx: AppContext, authority: AuthorityRef, peer: PeerRow, body: unknown) => Promise<{ msg: string; body: object }>;

const handlersFor = (services: FederationServices): Record<FederationRequestType, Handler> => ({
  'copy-certificate.request': async (ctx, authority, peer, body) => ({
    msg: 'copy-certificate.response',
    body: await services.signCopyCertificateForPeer(ctx, authority, peer, body as CopyCertificateRequest),
  }),
  ping: async () => ({ msg: 'pong', body: { versions: [...SUPPORTED_PROTOCOL_VERSIONS] } }),
});

/**
 * `POST <issuer>/federation`: one envelope in, one envelope out. Envelope-level failures (not
 * a peer, bad signature, wrong audience, expired, replayed) are answered with an unsigned
 * problem document, since the caller is not authenticated; once the caller is, every definite
 * answer — including a refusal — is an envelope signed by this authority and bound to the request.
 */
export const federationRoutes =
  (services: FederationServices): RouteModule =>
  (router, ctx, guards) => {
    const handlers = handlersFor(services);
    router.use(routes.federation.path, express.text({ type: FEDERATION_MEDIA_TYPE, limit: MAX_ENVELOPE_BYTES }));
    bindRoute(router, ctx, guards, routes.federation, async ({ authority, req, res }) => {
      if (!req.is(FEDERATION_MEDIA_TYPE)) throw new TesseraProblem('unsupported_media_type', `send the envelope as ${FEDERATION_MEDIA_TYPE}`);
      const token = typeof req.body === 'string' ? req.body.trim() : '';
      const { claims, peer } = await openEnvelope(ctx, authority, token, { replayCheck: true });

      let answer: { msg: string; body: object; status: number };
      try {
        const spec = Object.hasOwn(federationMessages, claims.msg) ? federationMessages[claims.msg as FederationRequestType] : undefined;
        if (!spec)
          throw new TesseraProblem(
            'unsupported_message',
            `message ${claims.msg} is not one this server answers (${Object.keys(federationMessages).join(', ')})`,
          );
        const parsed = spec.body.safeParse(claims.body);
        if (!parsed.success) throw new TesseraProblem('invalid_request', `the ${claims.msg} body is invalid: ${formatZodIssues(parsed.error)}`);
        const result = await handlers[claims.msg as FederationRequestType](ctx, authority, peer, parsed.data);
        answer = { ...result, status: 200 };
      } catch (error) {
        if (!(error instanceof TesseraProblem) || TRANSIENT.has(error.code)) throw error;
        const moveId = typeof claims.body.moveId === 'string' ? claims.body.moveId : undefined;
        answer = { msg: 'problem', body: { code: error.code, detail: error.detail ?? error.message, ...(moveId ? { moveId } : {}) }, status: error.status };
      }
      const { token: sealed } = await sealEnvelope(ctx, authority, peer.issuer, answer.msg, answer.body, claims.jti);
      res.status(answer.status).type(FEDERATION_MEDIA_TYPE).send(sealed);
      return 'handled';
    });
  };
