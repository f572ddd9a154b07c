{{/*
Checks of proxy values that the schema cannot express, failing with a message that names the values.
(dict "v" <proxy values, defaults filled in> "context" $)
*/}}
{{- define "mcp-trace-proxy.validate" -}}
{{- $v := .v -}}
{{- $ctx := .context -}}
{{- if not (toString $v.upstream) -}}
  {{- fail "mcp-trace-proxy: `upstream` is required: the MCP server's URL, e.g. http://127.0.0.1:3001/mcp" -}}
{{- end -}}
{{- if eq (int $v.ports.proxy) (int $v.ports.admin) -}}
  {{- fail (printf "mcp-trace-proxy: ports.proxy and ports.admin are both %d; the admin port needs a port of its own (e.g. ports.admin: 9464)" (int $v.ports.proxy)) -}}
{{- end -}}
{{- if eq (toString $v.ports.proxyName) (toString $v.ports.adminName) -}}
  {{- fail "mcp-trace-proxy: ports.proxyName and ports.adminName must differ" -}}
{{- end -}}
{{- /* Shutdown: drainDelay (default 0) + shutdownGrace (default 10s) must end before the kubelet's SIGKILL. */ -}}
{{- $drain := include "mcp-trace-proxy.durationMs" (dict "name" "drainDelay" "value" $v.drainDelay "default" "0") | int64 -}}
{{- $grace := include "mcp-trace-proxy.durationMs" (dict "name" "shutdownGrace" "value" $v.shutdownGrace "default" "10s") | int64 -}}
{{- $tgps := 30 -}}
{{- if and (hasKey $v "terminationGracePeriodSeconds") (not (kindIs "invalid" $v.terminationGracePeriodSeconds)) }}{{ $tgps = int64 $v.terminationGracePeriodSeconds }}{{ end -}}
{{- if gt (add $drain $grace) (mul $tgps 1000) -}}
  {{- fail (printf "mcp-trace-proxy: drainDelay (%dms) + shutdownGrace (%dms) exceed terminationGracePeriodSeconds (%ds): the kubelet would kill the proxy before it drains. Raise terminationGracePeriodSeconds or lower the two" $drain $grace $tgps) -}}
{{- end -}}
{{- /* TLS to the collector */ -}}
{{- $tls := $v.otlp.tls | default dict -}}
{{- if $tls.secretName -}}
  {{- if not $v.otlp.endpoint -}}
    {{- fail "mcp-trace-proxy: otlp.tls.secretName needs otlp.endpoint (an https:// URL)" -}}
  {{- end -}}
  {{- if hasPrefix "http://" (tpl (toString $v.otlp.endpoint) $ctx) -}}
    {{- fail "mcp-trace-proxy: otlp.tls.secretName is set but otlp.endpoint is http://; use https://" -}}
  {{- end -}}
  {{- if ne (empty $tls.certKey) (empty $tls.keyKey) -}}
    {{- fail "mcp-trace-proxy: otlp.tls.certKey and otlp.tls.keyKey go together (a client certificate needs its key); empty both for server-only TLS" -}}
  {{- end -}}
  {{- if not (or $tls.caKey $tls.certKey) -}}
    {{- fail "mcp-trace-proxy: otlp.tls.secretName is set but caKey, certKey and keyKey are all empty" -}}
  {{- end -}}
  {{- if not $tls.mountPath -}}
    {{- fail "mcp-trace-proxy: otlp.tls.mountPath is required with otlp.tls.secretName" -}}
  {{- end -}}
{{- end -}}
{{- /* OTLP metrics need somewhere to go */ -}}
{{- $exporters := include "mcp-trace-proxy.metricsExporters" $v | fromJsonArray -}}
{{- if and (has "otlp" $exporters) (not $v.otlp.endpoint) -}}
  {{- $extra := list -}}
  {{- range $v.extraEnv }}{{ $extra = append $extra .name }}{{ end -}}
  {{- if not (has "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" $extra) -}}
    {{- fail (printf "mcp-trace-proxy: metrics.exporter %s sends metrics over OTLP, but otlp.endpoint is empty" $v.metrics.exporter) -}}
  {{- end -}}
{{- end -}}
{{- end }}
