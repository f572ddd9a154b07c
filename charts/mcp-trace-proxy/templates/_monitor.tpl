{{/* Checks shared by the ServiceMonitor and the PodMonitor: (dict "kind" "serviceMonitor" "root" $). */}}
{{- define "mcp-trace-proxy.monitorCheck" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" (dict "Values" .root.Values) | fromJson -}}
{{- $exporters := include "mcp-trace-proxy.metricsExporters" $v | fromJsonArray -}}
{{- if not (has "prometheus" $exporters) -}}
  {{- fail (printf "mcp-trace-proxy: %s.enabled needs metrics.exporter prometheus or both (it is %s: there is no /metrics to scrape)" .kind (toString $v.metrics.exporter)) -}}
{{- end -}}
{{- end }}

{{/* The endpoint fields of a monitor: (values of serviceMonitor or podMonitor). */}}
{{- define "mcp-trace-proxy.monitorEndpoint" -}}
path: /metrics
scheme: http
{{- with .interval }}
interval: {{ . }}
{{- end }}
{{- with .scrapeTimeout }}
scrapeTimeout: {{ . }}
{{- end }}
{{- with .relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
