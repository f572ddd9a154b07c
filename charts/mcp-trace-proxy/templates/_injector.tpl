{{/* Names and labels of the injection webhook (injector.enabled). Its pods get a name label of their
own, so that the standalone Deployment's selector and Service never match them. */}}
{{- define "mcp-trace-proxy.injector.fullname" -}}
{{- printf "%s-injector" (include "mcp-trace-proxy.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "mcp-trace-proxy.injector.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-injector" (include "mcp-trace-proxy.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mcp-trace-proxy.injector.labels" -}}
helm.sh/chart: {{ include "mcp-trace-proxy.chart" . }}
{{ include "mcp-trace-proxy.injector.selectorLabels" . }}
app.kubernetes.io/version: {{ include "mcp-trace-proxy.versionLabel" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: injector
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Secret with the serving certificate (cert-manager's, or the chart's own). */}}
{{- define "mcp-trace-proxy.injector.tlsSecret" -}}
{{- printf "%s-tls" (include "mcp-trace-proxy.injector.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}
