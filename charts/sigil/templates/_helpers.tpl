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

{{- /* bundlePropagation (e.g. 10m, 1h30m) in seconds: a rotation completes this long after it is due, so alerts wait that much more. */ -}}
{{- define "sigil.bundlePropagationSeconds" -}}
{{- $total := 0 -}}
{{- range regexFindAll "[0-9]+[hms]" .Values.bundlePropagation -1 -}}
{{- $n := regexFind "[0-9]+" . | atoi -}}
{{- if hasSuffix "h" . -}}{{- $total = add $total (mul $n 3600) -}}
{{- else if hasSuffix "m" . -}}{{- $total = add $total (mul $n 60) -}}
{{- else -}}{{- $total = add $total $n -}}
{{- end -}}
{{- end -}}
{{- $total -}}
{{- end -}}
