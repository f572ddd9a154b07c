// Who called: attributes copied from the request headers a gateway sets, from claims of the bearer
// JWT, and from the client's own clientInfo. Pure functions, computed once per channel. The JWT is
// read, never verified (the gateway or the upstream does that), and only the named claims leave it.
import { createHmac } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import { ConfigError } from '../errors';
import * as semconv from './semconv';

/** Longest attribute value copied from a header, a claim or a clientInfo field. */
export const MAX_VALUE_LENGTH = 256;
/** Hex characters kept of a hashed value's HMAC-SHA256 (64 bits: no collisions at tenant scale). */
export const HASH_HEX_LENGTH = 16;

export interface AttributeRule {
  /** A header name (lower case) or a claim path (`org.id`: the claim `org.id`, else `id` inside `org`). */
  readonly from: string;
  readonly attribute: string;
}

export interface CallerRules {
  readonly headers: readonly AttributeRule[];
  readonly claims: readonly AttributeRule[];
  /** Attributes recorded as a keyed hash of the value. */
  readonly hashed: ReadonlySet<string>;
  readonly hashKey: string | null;
}

export const NO_RULES: CallerRules = { headers: [], claims: [], hashed: new Set(), hashKey: null };
const NONE: Attributes = Object.freeze({});

const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Namespaces the proxy writes itself: a header must not overwrite a span's method, ids, status or peers. */
const RESERVED = /^(mcp|mcp_trace_proxy|gen_ai|jsonrpc|rpc|error|network|server|client|openinference|input|output|session|tool)\./;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `from=attribute` pairs from a comma list, e.g. `x-tenant-id=tenant.id,x-user-id=enduser.id`. */
export function parseRules(raw: string, name: string, kind: 'header' | 'claim'): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const item of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const from = eq > 0 ? item.slice(0, eq).trim() : '';
    const attribute = eq > 0 ? item.slice(eq + 1).trim() : '';
    const fromOk = kind === 'header' ? HEADER_NAME.test(from) : /^[^\s.][^\s]*$/.test(from) && !from.endsWith('.');
    if (!fromOk || !ATTRIBUTE_NAME.test(attribute)) {
      const example = kind === 'header' ? 'x-tenant-id=tenant.id' : 'sub=enduser.id';
      throw new ConfigError(`${name}: invalid value ${JSON.stringify(item)}; expected <${kind}>=<attribute>, e.g. ${example}`);
    }
    if (RESERVED.test(attribute)) {
      throw new ConfigError(`${name}: ${JSON.stringify(attribute)} is in a namespace the proxy writes itself (${RESERVED.exec(attribute)?.[1]}.*); pick another name, e.g. tenant.id or enduser.id`);
    }
    rules.push({ from: kind === 'header' ? from.toLowerCase() : from, attribute });
  }
  return rules;
}

/** Attribute names from a comma list (case kept: attribute keys are case-sensitive). */
export function parseAttributeNames(raw: string, name: string): string[] {
  const names = raw.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = names.find((n) => !ATTRIBUTE_NAME.test(n));
  if (names.length === 0 || bad !== undefined) {
    throw new ConfigError(`${name}: invalid value ${JSON.stringify(bad ?? raw)}; expected attribute names, e.g. tenant.id`);
  }
  return names;
}

/** The attributes the rules and clientInfo can produce: the only ones --hash-attribute and --metric-attribute may name. */
export function producedAttributes(headers: readonly AttributeRule[], claims: readonly AttributeRule[]): Set<string> {
  return new Set([...headers.map((r) => r.attribute), ...claims.map((r) => r.attribute), semconv.ATTR_MCP_CLIENT_NAME, semconv.ATTR_MCP_CLIENT_VERSION]);
}

/** The payload of an `Authorization: Bearer` JWT, or undefined for anything else (never an error). */
export function jwtPayload(authorization: string | undefined): Record<string, unknown> | undefined {
  const m = authorization && /^bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\s*$/i.exec(authorization);
  if (!m) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A claim by path: the literal key first (claim names may hold dots, e.g. URLs), else nested objects. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(payload, path)) return payload[path];
  let v: unknown = payload;
  for (const part of path.split('.')) {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A keyed, truncated hash: the same value and key give the same text across restarts. */
export function hashValue(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex').slice(0, HASH_HEX_LENGTH);
}

/** Scalars only: an object or array claim is not a label-like value. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function put(a: Attributes, attribute: string, value: string, rules: CallerRules): void {
  a[attribute] = rules.hashed.has(attribute) && rules.hashKey !== null ? hashValue(rules.hashKey, value) : value.slice(0, MAX_VALUE_LENGTH);
}

/** A request's caller attributes from its headers. Headers first; a claim fills only what they left unset. */
export function callerAttributes(headers: Readonly<Record<string, string | string[] | undefined>>, rules: CallerRules): Attributes {
  if (rules.headers.length === 0 && rules.claims.length === 0) return NONE;
  const a: Attributes = {};
  for (const r of rules.headers) {
    const h = headers[r.from];
    const v = Array.isArray(h) ? h.join(', ') : h;
    if (v) put(a, r.attribute, v, rules);
  }
  if (rules.claims.length > 0) {
    const auth = headers.authorization;
    const payload = jwtPayload(Array.isArray(auth) ? auth[0] : auth);
    if (payload) {
      for (const r of rules.claims) {
        const v = a[r.attribute] === undefined ? scalar(claimAt(payload, r.from)) : undefined;
        if (v !== undefined) put(a, r.attribute, v, rules);
      }
    }
  }
  return a;
}

/** `mcp.client.name` / `mcp.client.version` from a clientInfo object, or undefined when it names nothing. */
export function clientAttributes(info: unknown, rules: CallerRules): Attributes | undefined {
  if (!info || typeof info !== 'object') return undefined;
  const { name, version } = info as Record<string, unknown>;
  const a: Attributes = {};
  if (typeof name === 'string' && name !== '') put(a, semconv.ATTR_MCP_CLIENT_NAME, name, rules);
  if (typeof version === 'string' && version !== '') put(a, semconv.ATTR_MCP_CLIENT_VERSION, version, rules);
  return a[semconv.ATTR_MCP_CLIENT_NAME] === undefined && a[semconv.ATTR_MCP_CLIENT_VERSION] === undefined ? undefined : a;
}
