// The webhook's counters, in the Prometheus text format (0.0.4). A handful of counters with bounded
// labels (the reasons are a closed set), so no metrics SDK: the proxy's OTel pipeline would add a
// meter provider and an exporter for five numbers.

type Labels = Readonly<Record<string, string>>;

class Counter {
  readonly #values = new Map<string, number>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}): void {
    const key = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');
    this.#values.set(key, (this.#values.get(key) ?? 0) + 1);
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    // A counter with no labels is shown at 0 before its first event, so a rate() has a start.
    if (this.#values.size === 0) out += `${this.name} 0\n`;
    for (const [key, n] of this.#values) out += `${this.name}${key ? `{${key}}` : ''} ${n}\n`;
    return out;
  }
}

export class WebhookMetrics {
  readonly requests = new Counter('mcp_trace_proxy_injector_requests_total', 'AdmissionReview requests received.');
  readonly injected = new Counter('mcp_trace_proxy_injector_injected_total', 'Pods patched with the proxy (mode: native or container; dry_run: a dry-run request).');
  readonly skipped = new Counter('mcp_trace_proxy_injector_skipped_total', 'Pods left unchanged, by reason.');
  readonly errors = new Counter('mcp_trace_proxy_injector_errors_total', 'Requests that could not be read, and certificate reloads that failed, by reason.');
  readonly tlsReloads = new Counter('mcp_trace_proxy_injector_tls_reloads_total', 'Serving certificates loaded again after their files changed.');

  render(): string {
    return [this.requests, this.injected, this.skipped, this.errors, this.tlsReloads].map((c) => c.render()).join('');
  }
}
