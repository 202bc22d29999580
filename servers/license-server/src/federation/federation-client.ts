import {
  FEDERATION_ENDPOINT_PATH,
  FEDERATION_MEDIA_TYPE,
  federationAnswers,
  federationMessages,
  formatZodIssues,
  problemFromDocument,
  TesseraProblem,
  type FederationAnswerType,
  type FederationProblem,
  type FederationRequestType,
} from '@tessera/protocol';
import type { z } from 'zod';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { openEnvelope, sealEnvelope } from './envelope.ts';
import { OutboundRefused, outboundRequest } from './outbound-http.ts';
import { recordContact, type PeerRow } from './peer-queries.ts';

type AnswerOf<M extends FederationRequestType> = (typeof federationMessages)[M]['answer'];
type AnswerBody<A extends FederationAnswerType> = z.output<(typeof federationAnswers)[A]>;

/** The peer's definite answer to a request: what it asked for, or a signed refusal. */
export type PeerAnswer<M extends FederationRequestType> = { kind: 'answer'; body: AnswerBody<AnswerOf<M>> } | { kind: 'refused'; problem: FederationProblem };

/**
 * No definite answer: the peer could not be reached, timed out, failed, or answered with
 * something that is not its signed word. The request may or may not have taken effect there,
 * so the caller must keep its state and ask again (same idempotency key).
 */
export class PeerUnanswered extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'PeerUnanswered';
  }
}

/**
 * Sends one federation request to a peer and returns its definite, verified answer. Only a
 * response envelope signed by the peer, addressed to us and naming our request's `jti` counts:
 * anything else (an unsigned problem, a 5xx, a timeout) is `PeerUnanswered`.
 */
export async function callPeer<M extends FederationRequestType>(
  ctx: AppContext,
  authority: AuthorityRef,
  peer: PeerRow,
  msg: M,
  body: z.input<(typeof federationMessages)[M]['body']>,
): Promise<PeerAnswer<M>> {
  const { token, jti } = await sealEnvelope(ctx, authority, peer.issuer, msg, body);
  let status: number;
  let text: string;
  let contentType: string;
  try {
    const res = await outboundRequest(ctx.config, `${peer.issuer}${FEDERATION_ENDPOINT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': FEDERATION_MEDIA_TYPE, accept: `${FEDERATION_MEDIA_TYPE}, application/problem+json` },
      body: token,
    });
    ({ status, contentType, text } = res);
  } catch (error) {
    const code = error instanceof OutboundRefused ? 'peer_address_refused' : 'peer_unreachable';
    await recordContact(ctx.db, authority.id, peer.id, code).catch(() => {});
    throw new PeerUnanswered(code, `${peer.issuer} did not answer: ${(error as Error).message}`);
  }

  if (!contentType.startsWith(FEDERATION_MEDIA_TYPE)) {
    const problem = safeProblem(text, status);
    await recordContact(ctx.db, authority.id, peer.id, problem.code).catch(() => {});
    throw new PeerUnanswered(problem.code, `${peer.issuer} answered HTTP ${status} without a signed envelope: ${problem.detail ?? problem.message}`);
  }
  let answer: Awaited<ReturnType<typeof openEnvelope>>;
  try {
    answer = await openEnvelope(ctx, authority, text.trim(), { expectIssuer: peer.issuer, replayCheck: false });
  } catch (error) {
    const code = error instanceof TesseraProblem ? error.code : 'envelope_invalid';
    await recordContact(ctx.db, authority.id, peer.id, code).catch(() => {});
    throw new PeerUnanswered(code, `the answer of ${peer.issuer} does not verify: ${(error as Error).message}`);
  }
  const { claims } = answer;
  if (claims.re !== jti) throw new PeerUnanswered('envelope_invalid', `the answer of ${peer.issuer} is for another request`);
  if (claims.msg === 'problem') {
    const parsed = federationAnswers.problem.safeParse(claims.body);
    if (!parsed.success) throw new PeerUnanswered('envelope_invalid', `the refusal of ${peer.issuer} is malformed: ${formatZodIssues(parsed.error)}`);
    await recordContact(ctx.db, authority.id, peer.id, parsed.data.code).catch(() => {});
    return { kind: 'refused', problem: parsed.data };
  }
  const expected = federationMessages[msg].answer as AnswerOf<M>;
  if (claims.msg !== expected) throw new PeerUnanswered('unsupported_message', `${peer.issuer} answered ${claims.msg} to ${msg}`);
  const parsed = federationAnswers[expected].safeParse(claims.body);
  if (!parsed.success) throw new PeerUnanswered('envelope_invalid', `the answer of ${peer.issuer} is malformed: ${formatZodIssues(parsed.error)}`);
  await recordContact(ctx.db, authority.id, peer.id, 'ok').catch(() => {});
  return { kind: 'answer', body: parsed.data as AnswerBody<AnswerOf<M>> };
}

function safeProblem(text: string, status: number): TesseraProblem {
  try {
    return problemFromDocument(JSON.parse(text), status);
  } catch {
    return new TesseraProblem(status >= 500 ? 'internal_error' : 'invalid_request', `HTTP ${status}`);
  }
}
