import { z } from 'zod';
import * as admin from './api/admin.ts';
import { authorityParamsSchema } from './api/common.ts';
import * as device from './api/device.ts';
import * as fed from './federation.ts';
import { jwksSchema } from './jose.ts';
import type { ProblemCode } from './problems.ts';

/** A response that is a compact JWS of its own media type (entity configuration, federation envelope). */
export type JwsMediaType = `application/${string}+jwt`;
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** How a route authenticates its caller. */
export type RouteAuth = 'none' | 'device' | 'admin';

/**
 * One HTTP route of the wire contract: the server validates requests and responses with
 * these schemas and the OpenAPI document is generated from them, so they cannot drift.
 */
export interface RouteSpec {
  operationId: string;
  method: HttpMethod;
  /** Express-style path, e.g. `/t/:authority/licenses`. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  /** For admin routes: the least role needed. */
  minRole?: admin.AdminRole;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A non-JSON request body (e.g. an upload), by media type. */
  rawBody?: string;
  responses: Partial<Record<200 | 201 | 202 | 204 | 206, z.ZodType | null | 'binary' | 'text/csv' | JwsMediaType>>;
  problems: ProblemCode[];
  /**
   * Device and federation routes are listed in SPEC §5.2, generated from this catalogue: the
   * section that specifies the route, and what the table says where the catalogue cannot.
   */
  spec?: { section: string; auth?: string; success?: string; problems?: string };
}

const deviceProblems: ProblemCode[] = ['proof_missing', 'proof_invalid', 'proof_expired', 'proof_replayed', 'proof_mismatch', 'client_unknown', 'client_revoked', 'user_suspended', 'authority_unknown'];
const adminProblems: ProblemCode[] = ['unauthenticated', 'forbidden', 'authority_unknown'];

const r = <const S extends RouteSpec>(spec: S): S => spec;

/**
 * Problems every route of a kind may answer besides its own list, because one middleware
 * answers them for all: a request that does not parse; a body of another media type, or one too
 * slow to arrive, on a route that changes state; an admin change sent by a browser from another site.
 */
export function impliedProblems(spec: RouteSpec): ProblemCode[] {
  const changes = spec.method !== 'get';
  return [
    'invalid_request',
    'malformed_request',
    ...(changes ? (['unsupported_media_type', 'request_timeout'] as const) : []),
    ...(changes && spec.auth === 'admin' ? (['cross_site_request'] as const) : []),
  ];
}

export const routes = {
  // ---------------- public, per authority ----------------
  entityConfiguration: r({ operationId: 'getEntityConfiguration', method: 'get', path: '/t/:authority/.well-known/tessera-authority', summary: "The authority's entity configuration: a JWS signed by the authority (SPEC §10.2)", tag: 'Authority', auth: 'none', params: authorityParamsSchema, responses: { 200: 'application/tessera-entity+jwt' }, problems: ['authority_unknown'], spec: { section: '10.2' } }),
  federation: r({ operationId: 'federate', method: 'post', path: '/t/:authority/federation', summary: 'Receive a federation envelope from a peer authority and answer with one (SPEC §10.4)', tag: 'Federation', auth: 'none', params: authorityParamsSchema, rawBody: 'application/tessera-fed+jwt', responses: { 200: 'application/tessera-fed+jwt' }, problems: ['authority_unknown', 'envelope_invalid', 'envelope_expired', 'envelope_replayed', 'envelope_misaddressed', 'peer_untrusted', 'unsupported_version', 'unsupported_message', 'unsupported_media_type', 'payload_too_large'], spec: { section: '10.5', auth: 'envelope', success: '200 (+ signed refusals)', problems: 'Section 10.4' } }),
  jwks: r({ operationId: 'getJwks', method: 'get', path: '/t/:authority/jwks.json', summary: "The authority's public keys (signing and encryption)", tag: 'Authority', auth: 'none', params: authorityParamsSchema, responses: { 200: jwksSchema }, problems: ['authority_unknown'], spec: { section: '5.3' } }),

  // ---------------- device API ----------------
  registerDevice: r({ operationId: 'registerDevice', method: 'post', path: '/t/:authority/devices', summary: 'Register a device (claims 1, 10)', tag: 'Devices', auth: 'none', params: authorityParamsSchema, body: device.registerDeviceRequestSchema, responses: { 201: device.registerDeviceResponseSchema }, problems: ['invalid_credentials', 'too_many_attempts', 'user_suspended', 'device_limit_reached', 'key_already_registered', 'proof_missing', 'proof_invalid', 'proof_expired', 'proof_replayed', 'proof_mismatch', 'authority_unknown'], spec: { section: '5.4', auth: 'proof (jwk)' } }),
  listDevices: r({ operationId: 'listDevices', method: 'get', path: '/t/:authority/devices', summary: "The calling device's user's devices", tag: 'Devices', auth: 'device', params: authorityParamsSchema, responses: { 200: device.deviceListSchema }, problems: deviceProblems, spec: { section: '5.5' } }),
  deactivateDevice: r({ operationId: 'deactivateDevice', method: 'delete', path: '/t/:authority/devices/:clientId', summary: 'Deactivate one of the user’s own devices', tag: 'Devices', auth: 'device', params: device.clientIdParamsSchema, responses: { 200: device.deviceSchema }, problems: [...deviceProblems, 'not_found'], spec: { section: '5.6' } }),
  whoami: r({ operationId: 'whoami', method: 'get', path: '/t/:authority/me', summary: 'The calling device and its user', tag: 'Devices', auth: 'device', params: authorityParamsSchema, responses: { 200: device.whoamiResponseSchema }, problems: deviceProblems, spec: { section: '5.7' } }),
  catalog: r({ operationId: 'listCatalog', method: 'get', path: '/t/:authority/contents', summary: 'The catalogue of available contents', tag: 'Contents', auth: 'device', params: authorityParamsSchema, query: device.catalogQuerySchema, responses: { 200: device.catalogResponseSchema }, problems: deviceProblems, spec: { section: '5.8' } }),
  getContent: r({ operationId: 'getContent', method: 'get', path: '/t/:authority/contents/:contentId', summary: 'One catalogue entry', tag: 'Contents', auth: 'device', params: device.contentIdParamsSchema, responses: { 200: device.catalogEntrySchema }, problems: [...deviceProblems, 'content_unknown'], spec: { section: '5.8' } }),
  downloadPackage: r({ operationId: 'downloadPackage', method: 'get', path: '/t/:authority/contents/:contentId/package', summary: 'Download the encrypted package (HTTP Range supported; each supply is recorded)', tag: 'Contents', auth: 'device', params: device.contentIdParamsSchema, responses: { 200: 'binary', 206: 'binary' }, problems: [...deviceProblems, 'content_unknown', 'content_unavailable', 'range_not_satisfiable'], spec: { section: '5.9' } }),
  issueLicense: r({ operationId: 'issueLicense', method: 'post', path: '/t/:authority/licenses', summary: 'Obtain a license: the sale (claims 1, 6, 7)', tag: 'Licenses', auth: 'device', params: authorityParamsSchema, body: device.licenseRequestSchema, responses: { 200: device.licenseResponseSchema, 201: device.licenseResponseSchema }, problems: [...deviceProblems, 'content_unknown', 'content_unavailable', 'price_missing'], spec: { section: '5.10' } }),
  listDeviceLicenses: r({ operationId: 'listDeviceLicenses', method: 'get', path: '/t/:authority/licenses', summary: 'Licenses held by the calling device', tag: 'Licenses', auth: 'device', params: authorityParamsSchema, responses: { 200: device.deviceLicenseListSchema }, problems: deviceProblems, spec: { section: '5.11' } }),
  licenseStatus: r({ operationId: 'getLicenseStatus', method: 'get', path: '/t/:authority/licenses/:licenseId', summary: 'The state of one of the calling device’s licenses', tag: 'Licenses', auth: 'device', params: device.licenseIdParamsSchema, responses: { 200: device.licenseStatusSchema }, problems: [...deviceProblems, 'license_unknown'], spec: { section: '5.11' } }),
  requestMove: r({ operationId: 'requestMove', method: 'post', path: '/t/:authority/moves', summary: 'Obtain a copy certificate to move a license to another device of the same user (claims 2, 4, 13)', tag: 'Moves', auth: 'device', params: authorityParamsSchema, body: device.moveRequestSchema, responses: { 201: device.moveResponseSchema, 202: device.moveResponseSchema }, problems: [...deviceProblems, 'license_unknown', 'account_not_linked', 'peer_unknown', 'peer_suspended', 'content_conflict', 'license_not_active', 'move_destination_unknown', 'move_destination_revoked', 'move_destination_not_owned', 'move_destination_is_source', 'move_destination_already_licensed', 'price_missing'], spec: { section: '5.12' } }),
  getDeviceMove: r({ operationId: 'getDeviceMove', method: 'get', path: '/t/:authority/moves/:moveId', summary: 'A move the calling device asked for: its state and, once completed, the certificate', tag: 'Moves', auth: 'device', params: device.moveIdParamsSchema, responses: { 200: device.moveResponseSchema }, problems: [...deviceProblems, 'move_unknown'], spec: { section: '5.12' } }),
  createLinkAssertion: r({ operationId: 'createLinkAssertion', method: 'post', path: '/t/:authority/account-links/assertions', summary: "A link assertion vouching for the calling device's user, addressed to a peer authority", tag: 'Account links', auth: 'device', params: authorityParamsSchema, body: fed.linkAssertionRequestSchema, responses: { 201: fed.linkAssertionResponseSchema }, problems: [...deviceProblems, 'peer_unknown', 'peer_suspended'], spec: { section: '10.6' } }),
  presentLinkAssertion: r({ operationId: 'presentLinkAssertion', method: 'post', path: '/t/:authority/account-links', summary: "Link the calling device's user to the peer account a link assertion vouches for", tag: 'Account links', auth: 'device', params: authorityParamsSchema, body: fed.presentLinkRequestSchema, responses: { 200: fed.accountLinkSchema, 201: fed.accountLinkSchema }, problems: [...deviceProblems, 'link_assertion_invalid', 'peer_untrusted', 'peer_suspended', 'conflict'], spec: { section: '10.6' } }),
  listAccountLinks: r({ operationId: 'listAccountLinks', method: 'get', path: '/t/:authority/account-links', summary: "The calling device's user's links to peer accounts", tag: 'Account links', auth: 'device', params: authorityParamsSchema, responses: { 200: fed.accountLinkListSchema }, problems: deviceProblems, spec: { section: '10.6' } }),
  deleteAccountLink: r({ operationId: 'deleteAccountLink', method: 'delete', path: '/t/:authority/account-links/:linkId', summary: 'Unlink a peer account', tag: 'Account links', auth: 'device', params: fed.linkIdParamsSchema, responses: { 204: null }, problems: [...deviceProblems, 'link_unknown'], spec: { section: '10.6' } }),
  acknowledgeMove: r({ operationId: 'acknowledgeMove', method: 'post', path: '/t/:authority/moves/:moveId/ack', summary: 'The destination device acknowledges it received the content', tag: 'Moves', auth: 'device', params: device.moveIdParamsSchema, responses: { 200: device.moveAckResponseSchema }, problems: [...deviceProblems, 'move_unknown'], spec: { section: '5.13' } }),

  // ---------------- admin API ----------------
  login: r({ operationId: 'login', method: 'post', path: '/admin/session', summary: 'Sign in (sets an httpOnly session cookie)', tag: 'Admin session', auth: 'none', body: admin.loginRequestSchema, responses: { 200: admin.adminSessionSchema }, problems: ['invalid_credentials', 'too_many_attempts'] }),
  session: r({ operationId: 'getSession', method: 'get', path: '/admin/session', summary: 'The signed-in administrator and their roles', tag: 'Admin session', auth: 'admin', responses: { 200: admin.adminSessionSchema }, problems: ['unauthenticated'] }),
  logout: r({ operationId: 'logout', method: 'delete', path: '/admin/session', summary: 'Sign out', tag: 'Admin session', auth: 'none', responses: { 204: null }, problems: [] }),

  listAuthorities: r({ operationId: 'listAuthorities', method: 'get', path: '/admin/authorities', summary: 'Authorities the administrator can see', tag: 'Authorities', auth: 'admin', responses: { 200: admin.authorityListSchema }, problems: ['unauthenticated'] }),
  createAuthority: r({ operationId: 'createAuthority', method: 'post', path: '/admin/authorities', summary: 'Create an authority (server operators only)', tag: 'Authorities', auth: 'admin', body: admin.createAuthorityRequestSchema, responses: { 201: admin.authoritySchema }, problems: ['unauthenticated', 'forbidden', 'authority_exists'] }),
  getAuthority: r({ operationId: 'getAuthority', method: 'get', path: '/admin/authorities/:authority', summary: 'One authority', tag: 'Authorities', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, responses: { 200: admin.authoritySchema }, problems: adminProblems }),
  updateAuthority: r({ operationId: 'updateAuthority', method: 'patch', path: '/admin/authorities/:authority', summary: 'Edit an authority', tag: 'Authorities', auth: 'admin', minRole: 'owner', params: authorityParamsSchema, body: admin.updateAuthorityRequestSchema, responses: { 200: admin.authoritySchema }, problems: adminProblems }),

  listAdmins: r({ operationId: 'listAdmins', method: 'get', path: '/admin/authorities/:authority/admins', summary: "The authority's administrators", tag: 'Administrators', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, responses: { 200: admin.adminMemberListSchema }, problems: adminProblems }),
  addAdmin: r({ operationId: 'addAdmin', method: 'post', path: '/admin/authorities/:authority/admins', summary: 'Give an administrator a role in this authority', tag: 'Administrators', auth: 'admin', minRole: 'owner', params: authorityParamsSchema, body: admin.createAdminRequestSchema, responses: { 201: admin.adminMemberSchema }, problems: [...adminProblems, 'admin_exists'] }),
  updateAdmin: r({ operationId: 'updateAdmin', method: 'patch', path: '/admin/authorities/:authority/admins/:adminId', summary: "Change an administrator's role", tag: 'Administrators', auth: 'admin', minRole: 'owner', params: admin.adminIdParamsSchema, body: admin.updateAdminRoleRequestSchema, responses: { 200: admin.adminMemberSchema }, problems: [...adminProblems, 'not_found', 'conflict'] }),
  removeAdmin: r({ operationId: 'removeAdmin', method: 'delete', path: '/admin/authorities/:authority/admins/:adminId', summary: "Remove an administrator's role in this authority", tag: 'Administrators', auth: 'admin', minRole: 'owner', params: admin.adminIdParamsSchema, responses: { 204: null }, problems: [...adminProblems, 'not_found', 'conflict'] }),

  listUsers: r({ operationId: 'listUsers', method: 'get', path: '/admin/authorities/:authority/users', summary: 'Search users', tag: 'Users', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.userListQuerySchema, responses: { 200: admin.userListSchema }, problems: adminProblems }),
  createUser: r({ operationId: 'createUser', method: 'post', path: '/admin/authorities/:authority/users', summary: 'Create a user account', tag: 'Users', auth: 'admin', minRole: 'admin', params: authorityParamsSchema, body: admin.createUserRequestSchema, responses: { 201: admin.userSchema }, problems: [...adminProblems, 'user_exists'] }),
  getUser: r({ operationId: 'getUser', method: 'get', path: '/admin/authorities/:authority/users/:userId', summary: 'One user', tag: 'Users', auth: 'admin', minRole: 'viewer', params: admin.userIdParamsSchema, responses: { 200: admin.userSchema }, problems: [...adminProblems, 'not_found'] }),
  updateUser: r({ operationId: 'updateUser', method: 'patch', path: '/admin/authorities/:authority/users/:userId', summary: 'Suspend, reinstate or edit a user', tag: 'Users', auth: 'admin', minRole: 'admin', params: admin.userIdParamsSchema, body: admin.updateUserRequestSchema, responses: { 200: admin.userSchema }, problems: [...adminProblems, 'not_found'] }),

  listAdminDevices: r({ operationId: 'listAdminDevices', method: 'get', path: '/admin/authorities/:authority/devices', summary: 'Registered devices', tag: 'Devices (admin)', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.adminDeviceListQuerySchema, responses: { 200: admin.adminDeviceListSchema }, problems: adminProblems }),
  revokeDevice: r({ operationId: 'revokeDevice', method: 'post', path: '/admin/authorities/:authority/devices/:clientId/revoke', summary: 'Revoke a device: it is refused from then on', tag: 'Devices (admin)', auth: 'admin', minRole: 'admin', params: admin.adminClientParamsSchema, responses: { 200: admin.adminDeviceSchema }, problems: [...adminProblems, 'not_found'] }),

  listAdminContents: r({ operationId: 'listAdminContents', method: 'get', path: '/admin/authorities/:authority/contents', summary: 'Contents of the catalogue', tag: 'Contents (admin)', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.adminContentListQuerySchema, responses: { 200: admin.adminContentListSchema }, problems: adminProblems }),
  uploadContent: r({ operationId: 'uploadContent', method: 'post', path: '/admin/authorities/:authority/contents', summary: 'Upload a plaintext file; the server encrypts it into a package with a fresh content key (streamed)', tag: 'Contents (admin)', auth: 'admin', minRole: 'admin', params: authorityParamsSchema, query: admin.uploadContentQuerySchema, rawBody: 'application/octet-stream', responses: { 201: admin.adminContentSchema }, problems: [...adminProblems, 'payload_too_large', 'unsupported_media_type', 'content_exists'] }),
  getAdminContent: r({ operationId: 'getAdminContent', method: 'get', path: '/admin/authorities/:authority/contents/:contentId', summary: 'One content with its downloads and licenses counts', tag: 'Contents (admin)', auth: 'admin', minRole: 'viewer', params: admin.adminContentParamsSchema, responses: { 200: admin.adminContentSchema }, problems: [...adminProblems, 'content_unknown'] }),
  updateContent: r({ operationId: 'updateContent', method: 'patch', path: '/admin/authorities/:authority/contents/:contentId', summary: 'Edit, withdraw or re-price a content', tag: 'Contents (admin)', auth: 'admin', minRole: 'admin', params: admin.adminContentParamsSchema, body: admin.updateContentRequestSchema, responses: { 200: admin.adminContentSchema }, problems: [...adminProblems, 'content_unknown', 'content_unavailable'] }),

  listLicenses: r({ operationId: 'listLicenses', method: 'get', path: '/admin/authorities/:authority/licenses', summary: 'Licenses, filtered by state, content, user or device', tag: 'Licenses (admin)', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.adminLicenseListQuerySchema, responses: { 200: admin.adminLicenseListSchema }, problems: adminProblems }),
  getLicense: r({ operationId: 'getLicense', method: 'get', path: '/admin/authorities/:authority/licenses/:licenseId', summary: 'One license with its token', tag: 'Licenses (admin)', auth: 'admin', minRole: 'viewer', params: admin.adminLicenseParamsSchema, responses: { 200: admin.adminLicenseDetailSchema }, problems: [...adminProblems, 'license_unknown'] }),

  listMoves: r({ operationId: 'listMoves', method: 'get', path: '/admin/authorities/:authority/moves', summary: 'The history of copy certificate issues', tag: 'Moves (admin)', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.adminMoveListQuerySchema, responses: { 200: admin.adminMoveListSchema }, problems: adminProblems }),
  getMove: r({ operationId: 'getMove', method: 'get', path: '/admin/authorities/:authority/moves/:moveId', summary: 'One move with its timeline and certificate', tag: 'Moves (admin)', auth: 'admin', minRole: 'viewer', params: admin.adminMoveParamsSchema, responses: { 200: admin.adminMoveDetailSchema }, problems: [...adminProblems, 'move_unknown'] }),

  getPrices: r({ operationId: 'getPrices', method: 'get', path: '/admin/authorities/:authority/prices', summary: 'The price list', tag: 'Billing', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, responses: { 200: admin.priceListSchema }, problems: adminProblems }),
  updatePrices: r({ operationId: 'updatePrices', method: 'patch', path: '/admin/authorities/:authority/prices', summary: 'Change the price list', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, body: admin.updatePricesRequestSchema, responses: { 200: admin.priceListSchema }, problems: adminProblems }),
  listLedger: r({ operationId: 'listLedger', method: 'get', path: '/admin/authorities/:authority/ledger', summary: 'Ledger entries, newest first', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: admin.ledgerQuerySchema, responses: { 200: admin.ledgerListSchema }, problems: adminProblems }),
  exportLedger: r({ operationId: 'exportLedger', method: 'get', path: '/admin/authorities/:authority/ledger.csv', summary: 'Ledger entries as CSV', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: admin.ledgerQuerySchema.omit({ limit: true, cursor: true }), responses: { 200: 'text/csv' }, problems: adminProblems }),
  listInvoices: r({ operationId: 'listInvoices', method: 'get', path: '/admin/authorities/:authority/invoices', summary: 'Invoices', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: admin.invoiceListQuerySchema, responses: { 200: admin.invoiceListSchema }, problems: adminProblems }),
  issueInvoices: r({ operationId: 'issueInvoices', method: 'post', path: '/admin/authorities/:authority/invoices', summary: 'Issue the invoices of a month for every user with uninvoiced entries', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, body: admin.issueInvoicesRequestSchema, responses: { 201: admin.issueInvoicesResponseSchema }, problems: adminProblems }),
  getInvoice: r({ operationId: 'getInvoice', method: 'get', path: '/admin/authorities/:authority/invoices/:invoiceId', summary: 'One invoice with its lines', tag: 'Billing', auth: 'admin', minRole: 'billing', params: admin.invoiceParamsSchema, responses: { 200: admin.invoiceDetailSchema }, problems: [...adminProblems, 'not_found'] }),
  updateInvoice: r({ operationId: 'updateInvoice', method: 'patch', path: '/admin/authorities/:authority/invoices/:invoiceId', summary: 'Mark an invoice paid or void', tag: 'Billing', auth: 'admin', minRole: 'billing', params: admin.invoiceParamsSchema, body: admin.updateInvoiceRequestSchema, responses: { 200: admin.invoiceSchema }, problems: [...adminProblems, 'not_found', 'conflict'] }),
  exportInvoices: r({ operationId: 'exportInvoices', method: 'get', path: '/admin/authorities/:authority/invoices.csv', summary: 'Invoices as CSV', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: admin.invoiceListQuerySchema.omit({ limit: true, cursor: true }), responses: { 200: 'text/csv' }, problems: adminProblems }),

  listKeys: r({ operationId: 'listKeys', method: 'get', path: '/admin/authorities/:authority/keys', summary: "The authority's keys with thumbprints and status", tag: 'Keys', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, responses: { 200: admin.authorityKeyListSchema }, problems: adminProblems }),
  rotateKeys: r({ operationId: 'rotateKeys', method: 'post', path: '/admin/authorities/:authority/keys/rotate', summary: 'Rotate: the next key becomes active, the active one retired, a fresh next key is published', tag: 'Keys', auth: 'admin', minRole: 'owner', params: authorityParamsSchema, body: admin.rotateKeysRequestSchema, responses: { 200: admin.authorityKeyListSchema }, problems: [...adminProblems, 'key_state_invalid'] }),
  retireKey: r({ operationId: 'retireKey', method: 'post', path: '/admin/authorities/:authority/keys/:kid/retire', summary: 'Retire the active key of its use: the next key takes over, the retired one stays published for verification', tag: 'Keys', auth: 'admin', minRole: 'owner', params: admin.keyParamsSchema, responses: { 200: admin.authorityKeySchema }, problems: [...adminProblems, 'key_unknown', 'key_state_invalid'] }),
  revokeKey: r({ operationId: 'revokeKey', method: 'post', path: '/admin/authorities/:authority/keys/:kid/revoke', summary: 'Revoke a next or retired key: it is withdrawn from the key set (a revoked next key is replaced by a fresh one); the active key cannot be revoked', tag: 'Keys', auth: 'admin', minRole: 'owner', params: admin.keyParamsSchema, responses: { 200: admin.authorityKeySchema }, problems: [...adminProblems, 'key_unknown', 'key_state_invalid'] }),

  listUserLinks: r({ operationId: 'listUserLinks', method: 'get', path: '/admin/authorities/:authority/users/:userId/links', summary: "A user's links to accounts at peer authorities", tag: 'Users', auth: 'admin', minRole: 'viewer', params: fed.userLinkParamsSchema, responses: { 200: fed.accountLinkListSchema }, problems: [...adminProblems, 'not_found'] }),
  createUserLink: r({ operationId: 'createUserLink', method: 'post', path: '/admin/authorities/:authority/users/:userId/links', summary: 'Link a user to an account at a peer authority (operator-established)', tag: 'Users', auth: 'admin', minRole: 'admin', params: fed.userLinkParamsSchema, body: fed.adminLinkRequestSchema, responses: { 200: fed.accountLinkSchema, 201: fed.accountLinkSchema }, problems: [...adminProblems, 'not_found', 'peer_unknown', 'conflict'] }),
  deleteUserLink: r({ operationId: 'deleteUserLink', method: 'delete', path: '/admin/authorities/:authority/users/:userId/links/:linkId', summary: 'Remove a link', tag: 'Users', auth: 'admin', minRole: 'admin', params: fed.userLinkIdParamsSchema, responses: { 204: null }, problems: [...adminProblems, 'link_unknown'] }),

  listPeers: r({ operationId: 'listPeers', method: 'get', path: '/admin/authorities/:authority/peers', summary: 'Peer authorities', tag: 'Peers', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, responses: { 200: fed.peerListSchema }, problems: adminProblems }),
  discoverPeer: r({ operationId: 'discoverPeer', method: 'get', path: '/admin/authorities/:authority/peers/discover', summary: "Fetch an authority's entity configuration and show the thumbprint to compare out of band", tag: 'Peers', auth: 'admin', minRole: 'admin', params: authorityParamsSchema, query: fed.discoverPeerQuerySchema, responses: { 200: fed.discoveredPeerSchema }, problems: [...adminProblems, 'peer_unreachable', 'peer_address_refused'] }),
  addPeer: r({ operationId: 'addPeer', method: 'post', path: '/admin/authorities/:authority/peers', summary: 'Peer with an authority, pinning the thumbprint of its entity configuration key', tag: 'Peers', auth: 'admin', minRole: 'admin', params: authorityParamsSchema, body: fed.addPeerRequestSchema, responses: { 201: fed.peerSchema }, problems: [...adminProblems, 'peer_exists', 'peer_unreachable', 'peer_address_refused', 'peer_thumbprint_mismatch'] }),
  getPeer: r({ operationId: 'getPeer', method: 'get', path: '/admin/authorities/:authority/peers/:peerId', summary: 'One peer', tag: 'Peers', auth: 'admin', minRole: 'viewer', params: fed.peerParamsSchema, responses: { 200: fed.peerSchema }, problems: [...adminProblems, 'peer_unknown'] }),
  suspendPeer: r({ operationId: 'suspendPeer', method: 'post', path: '/admin/authorities/:authority/peers/:peerId/suspend', summary: 'Suspend a peer: its envelopes are refused and no move goes to it', tag: 'Peers', auth: 'admin', minRole: 'admin', params: fed.peerParamsSchema, responses: { 200: fed.peerSchema }, problems: [...adminProblems, 'peer_unknown'] }),
  resumePeer: r({ operationId: 'resumePeer', method: 'post', path: '/admin/authorities/:authority/peers/:peerId/resume', summary: 'Resume a suspended peer', tag: 'Peers', auth: 'admin', minRole: 'admin', params: fed.peerParamsSchema, responses: { 200: fed.peerSchema }, problems: [...adminProblems, 'peer_unknown'] }),
  refreshPeer: r({ operationId: 'refreshPeer', method: 'post', path: '/admin/authorities/:authority/peers/:peerId/refresh', summary: "Refetch the peer's entity configuration; new keys are accepted only when signed by a trusted key", tag: 'Peers', auth: 'admin', minRole: 'admin', params: fed.peerParamsSchema, responses: { 200: fed.peerSchema }, problems: [...adminProblems, 'peer_unknown', 'peer_unreachable', 'peer_address_refused', 'peer_key_untrusted'] }),

  getSettlement: r({ operationId: 'getSettlement', method: 'get', path: '/admin/authorities/:authority/settlement', summary: 'What this authority and each peer owe each other for cross-authority certificates, per month', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: fed.settlementQuerySchema, responses: { 200: fed.settlementSchema }, problems: adminProblems }),
  exportSettlement: r({ operationId: 'exportSettlement', method: 'get', path: '/admin/authorities/:authority/settlement.csv', summary: 'The cross-authority certificates of a month, per peer, as CSV', tag: 'Billing', auth: 'admin', minRole: 'billing', params: authorityParamsSchema, query: fed.settlementQuerySchema, responses: { 200: 'text/csv' }, problems: adminProblems }),

  listAudit: r({ operationId: 'listAudit', method: 'get', path: '/admin/authorities/:authority/audit', summary: 'The append-only audit log of admin actions', tag: 'Audit', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.auditQuerySchema, responses: { 200: admin.auditListSchema }, problems: adminProblems }),
  getStats: r({ operationId: 'getStats', method: 'get', path: '/admin/authorities/:authority/stats', summary: 'Overview numbers and daily series', tag: 'Overview', auth: 'admin', minRole: 'viewer', params: authorityParamsSchema, query: admin.statsQuerySchema, responses: { 200: admin.statsSchema }, problems: adminProblems }),
} satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;
