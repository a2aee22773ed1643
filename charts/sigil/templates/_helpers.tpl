{{- define "sigil.name" -}}sigil{{- end -}}

{{- define "sigil.labels" -}}
app.kubernetes.io/name: sigil
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sigil.selector" -}}
app.kubernetes.io/name: sigil
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sigil.caSecretName" -}}{{ default "sigil-ca" .Values.caSecret }}{{- end -}}
