// The injection rule (docs/ARCHITECTURE.md, "The _meta rule"): never create `_meta` where its presence can change how the server
// reads the message. Under spec 2026-07-28 a sessionless request that carries `_meta` is a stateless
// request, so a new `_meta` is written only on exchanges known to be of an earlier revision.

/** auto: create `_meta` only where its presence cannot change how the server reads the message. */
export type InjectMeta = 'auto' | 'always' | 'never';

/** The first revision in which a sessionless request with `_meta` is a stateless request. */
const STATELESS_REVISION = '2026-07-28';

/** A pre-2026-07-28 revision: its exchanges are session-era, where a created `_meta` is harmless. */
export function isSessionEra(version: string | undefined): boolean {
  return !!version && /^\d{4}-\d{2}-\d{2}$/.test(version) && version < STATELESS_REVISION;
}
