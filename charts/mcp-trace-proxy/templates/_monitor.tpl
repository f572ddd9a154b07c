{{/* Checks shared by the ServiceMonitor and the PodMonitor: (dict "kind" "serviceMonitor" "root" $). */}}
{{- define "mcp-trace-proxy.monitorCheck" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" (dict "Values" .root.Values) | fromJson -}}
{{- $exporters := include "mcp-trace-proxy.metricsExporters" $v | fromJsonArray -}}
{{- if not (has "prometheus" $exporters) -}}
  {{- fail (printf "mcp-trace-proxy: %s.enabled needs metrics.exporter prometheus or both (it is %s: there is no /metrics to scrape)" .kind (toString $v.metrics.exporter)) -}}
{{- end -}}
{{- end }}

{{/* The endpoint fields of a monitor: (dict "m" <values of serviceMonitor or podMonitor> "root" $).
`jobName` (through tpl) becomes a relabeling of `job`, before the user's relabelings, so that the
proxy-down alert of the rules (job=~"mcp-trace-proxy.*") matches. */}}
{{- define "mcp-trace-proxy.monitorEndpoint" -}}
{{- $m := .m -}}
{{- $relabelings := list -}}
{{- with $m.jobName }}
{{- $relabelings = append $relabelings (dict "action" "replace" "targetLabel" "job" "replacement" (tpl (toString .) $.root)) }}
{{- end }}
{{- $relabelings = concat $relabelings ($m.relabelings | default list) -}}
path: /metrics
scheme: http
{{- with $m.interval }}
interval: {{ . }}
{{- end }}
{{- with $m.scrapeTimeout }}
scrapeTimeout: {{ . }}
{{- end }}
{{- with $relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
