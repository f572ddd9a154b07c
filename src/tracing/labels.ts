// Bounded metric label values (docs/ARCHITECTURE.md, "Metric labels"). A client writes methods, tool names and protocol
// versions; as labels they would make series without end. Spans keep the real values.

export const OTHER = '_OTHER';

/** Every method the MCP revisions define, 2024-11-05 to 2026-07-28. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'initialize', 'ping', 'server/discover', 'subscriptions/listen',
  'tools/list', 'tools/call', 'prompts/list', 'prompts/get',
  'resources/list', 'resources/templates/list', 'resources/read', 'resources/subscribe', 'resources/unsubscribe',
  'completion/complete', 'logging/setLevel', 'sampling/createMessage', 'elicitation/create', 'roots/list',
  'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel',
  'notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/message',
  'notifications/roots/list_changed', 'notifications/resources/list_changed', 'notifications/resources/updated',
  'notifications/prompts/list_changed', 'notifications/tools/list_changed', 'notifications/elicitation/complete',
  'notifications/tasks/status', 'notifications/subscriptions/acknowledged',
]);

const REVISION = /^\d{4}-\d{2}-\d{2}$/;
/** Distinct error codes and protocol versions kept as labels, each. */
const MAX_SMALL_SET = 64;
/** Names an upstream may list: far more than any real server has, still a bound. */
const MAX_LISTED = 10_000;

/** A set that takes at most `max` values; `admit` says whether a value is (now) in it. */
class CappedSet {
  private readonly values = new Set<string>();

  constructor(private readonly max: number) {}

  admit(v: string): boolean {
    if (this.values.has(v)) return true;
    if (this.values.size >= this.max) return false;
    this.values.add(v);
    return true;
  }

  has(v: string): boolean {
    return this.values.has(v);
  }
}

export class MetricLabels {
  private readonly listed = { tool: new CappedSet(MAX_LISTED), prompt: new CappedSet(MAX_LISTED) };
  private readonly seen: { tool: CappedSet; prompt: CappedSet };
  private readonly versions = new CappedSet(MAX_SMALL_SET);
  private readonly errors = new CappedSet(MAX_SMALL_SET);
  /** Per --metric-attribute: the first `maxValues` distinct values (tenants, clients) become labels. */
  private readonly attributeValues = new Map<string, CappedSet>();

  /**
   * `maxNames`: without a list from the upstream, how many distinct tool (and prompt) names become labels.
   * `attributes`: the caller attributes that are labels too, each with at most `maxValues` values.
   */
  constructor(maxNames: number, readonly attributes: readonly string[] = [], maxValues = 100) {
    this.seen = { tool: new CappedSet(maxNames), prompt: new CappedSet(maxNames) };
    for (const a of attributes) this.attributeValues.set(a, new CappedSet(maxValues));
  }

  /** A value of a --metric-attribute: one of the first `maxValues` seen, else _OTHER. */
  attribute(key: string, v: string): string {
    return this.attributeValues.get(key)?.admit(v) ? v : OTHER;
  }

  method(m: string): string {
    return KNOWN_METHODS.has(m) ? m : OTHER;
  }

  /** A tool or prompt name: one the upstream listed, or one of the first `maxNames` seen, else _OTHER. */
  name(kind: 'tool' | 'prompt', v: string): string {
    return this.listed[kind].has(v) || this.seen[kind].admit(v) ? v : OTHER;
  }

  protocolVersion(v: string): string {
    return REVISION.test(v) && this.versions.admit(v) ? v : OTHER;
  }

  errorType(v: string): string {
    return this.errors.admit(v) ? v : OTHER;
  }

  /** A tools/list or prompts/list result from the upstream: its names are real, whatever the cap. */
  learn(method: string, result: unknown): void {
    const kind = method === 'tools/list' ? 'tool' : method === 'prompts/list' ? 'prompt' : null;
    if (!kind || !result || typeof result !== 'object') return;
    const items = (result as Record<string, unknown>)[kind === 'tool' ? 'tools' : 'prompts'];
    if (!Array.isArray(items)) return;
    for (const it of items) {
      const name = (it as Record<string, unknown> | null)?.name;
      if (typeof name === 'string') this.listed[kind].admit(name);
    }
  }
}
