/** Protocol versions this implementation speaks, newest first. */
export const PROTOCOL_VERSION = 'tessera/1';
export const SUPPORTED_PROTOCOL_VERSIONS = [PROTOCOL_VERSION] as const;
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOL_VERSIONS)[number];
