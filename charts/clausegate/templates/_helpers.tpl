{{/* Names, labels and the policy selection shared by the templates. */}}

{{- define "clausegate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "clausegate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "clausegate.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "clausegate.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "clausegate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "clausegate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "clausegate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clausegate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "clausegate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "clausegate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Cluster-scoped objects (webhook configuration, ClusterRoles) carry the namespace in
their names; those may be 253 characters long, so nothing is cut and two releases in
two namespaces never collide.
*/}}
{{- define "clausegate.webhookName" -}}
{{- printf "%s-%s" (include "clausegate.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "clausegate.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" -}}
{{- required "tls.existingSecret is required with tls.mode=secret" .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "clausegate.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "clausegate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The shipped policies to install, as YAML: {packs: {PACK: {FILE: TEXT}}}. A pack's
policies are the YAML files directly in policies/PACK (suites and fixtures are left
out by .helmignore); pss-* policies follow policies.podSecurityLevel; policies.params
replaces parameters of a policy by name; policies.action replaces the action of every
policy and rule.
*/}}
{{- define "clausegate.shippedPolicies" -}}
{{- $root := . -}}
{{- $level := .Values.policies.podSecurityLevel -}}
{{- $packs := dict -}}
{{- range $pack := .Values.policies.packs -}}
{{- $files := dict -}}
{{- range $path, $_ := $root.Files.Glob (printf "policies/%s/*.yaml" $pack) -}}
{{- $text := $root.Files.Get $path -}}
{{- $doc := fromYaml $text -}}
{{- if eq (default "" $doc.kind) "CompliancePolicy" -}}
{{- $labels := default (dict) $doc.metadata.labels -}}
{{- $annotations := default (dict) $doc.metadata.annotations -}}
{{- $pss := hasKey $annotations "clausegate.io/pod-security-check" -}}
{{- $keep := or (not $pss) (and (eq $level "restricted") (eq (toString (index $labels "clausegate.io/pod-security-restricted")) "true")) (and (eq $level "baseline") (eq (toString (index $labels "clausegate.io/pod-security-baseline")) "true")) -}}
{{- if $keep -}}
{{- $override := get $root.Values.policies.params $doc.metadata.name -}}
{{- if $override -}}
{{- $_ := set $doc.spec "params" (mergeOverwrite (deepCopy (default (dict) $doc.spec.params)) $override) -}}
{{- $text = toYaml $doc -}}
{{- end -}}
{{- with $root.Values.policies.action -}}
{{- $action := . -}}
{{- $_ := set $doc.spec "action" $action -}}
{{- range $v := default (list) $doc.spec.validations -}}
{{- if hasKey $v "action" -}}{{- $_ := set $v "action" $action -}}{{- end -}}
{{- end -}}
{{- $text = toYaml $doc -}}
{{- end -}}
{{- $_ := set $files (base $path) $text -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $packs $pack $files -}}
{{- end -}}
{{- toYaml (dict "packs" $packs) -}}
{{- end -}}

{{/*
The webhook's rules, from the match of every installed policy (pod templates add the
workload kinds), or webhook.rules when given. A YAML list.
*/}}
{{- define "clausegate.webhookRules" -}}
{{- if .Values.webhook.rules -}}
{{- toYaml .Values.webhook.rules -}}
{{- else -}}
{{- $docs := list -}}
{{- $shipped := fromYaml (include "clausegate.shippedPolicies" .) -}}
{{- range $pack, $files := $shipped.packs -}}
{{- range $name, $text := $files -}}
{{- $docs = append $docs (fromYaml $text) -}}
{{- end -}}
{{- end -}}
{{- range $name, $text := .Values.policies.extra -}}
{{- range $part := regexSplit "(?m)^---[ \t]*$" $text -1 -}}
{{- $doc := fromYaml $part -}}
{{- if and $doc (eq (default "" $doc.kind) "CompliancePolicy") -}}
{{- $docs = append $docs $doc -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Every (group, version, resource) with the union of the operations asked for it ... */ -}}
{{- $ops := dict -}}
{{- range $doc := $docs -}}
{{- $match := default (dict) $doc.spec.match -}}
{{- range $r := default (list) $match.resources -}}
{{- $wanted := default (list "CREATE" "UPDATE") $r.operations -}}
{{- $targets := list (dict "groups" (default (list "*") $r.apiGroups) "versions" (default (list "*") $r.apiVersions) "resources" $r.resources) -}}
{{- if and $match.podTemplates (has "pods" $r.resources) -}}
{{- $targets = append $targets (dict "groups" (list "apps") "versions" (list "v1") "resources" (list "deployments" "replicasets" "statefulsets" "daemonsets")) -}}
{{- $targets = append $targets (dict "groups" (list "batch") "versions" (list "v1") "resources" (list "jobs" "cronjobs")) -}}
{{- $targets = append $targets (dict "groups" (list "") "versions" (list "v1") "resources" (list "replicationcontrollers" "podtemplates")) -}}
{{- end -}}
{{- range $t := $targets -}}
{{- range $g := $t.groups -}}{{- range $v := $t.versions -}}{{- range $res := $t.resources -}}
{{- $key := printf "%s|%s|%s" $g $v $res -}}
{{- $merged := concat (default (list) (get $ops $key)) $wanted | uniq | sortAlpha -}}
{{- if has "*" $merged -}}{{- $merged = list "*" -}}{{- end -}}
{{- $_ := set $ops $key $merged -}}
{{- end -}}{{- end -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* ... then one rule per group, version and set of operations. */ -}}
{{- $grouped := dict -}}
{{- range $key := keys $ops | sortAlpha -}}
{{- $parts := splitList "|" $key -}}
{{- $gkey := printf "%s|%s|%s" (index $parts 0) (index $parts 1) (join "," (get $ops $key)) -}}
{{- $_ := set $grouped $gkey (append (default (list) (get $grouped $gkey)) (index $parts 2)) -}}
{{- end -}}
{{- $rules := list -}}
{{- range $gkey := keys $grouped | sortAlpha -}}
{{- $parts := splitList "|" $gkey -}}
{{- $resources := get $grouped $gkey -}}
{{- /* The API server allows "*" only beside subresource entries ("*" with "pods/status"). */ -}}
{{- if has "*" $resources -}}
{{- $kept := list "*" -}}
{{- range $r := $resources -}}{{- if and (contains "/" $r) (ne $r "*") -}}{{- $kept = append $kept $r -}}{{- end -}}{{- end -}}
{{- if has "*/*" $resources -}}{{- $kept = list "*/*" -}}{{- end -}}
{{- $resources = $kept -}}
{{- end -}}
{{- $rules = append $rules (dict "apiGroups" (list (index $parts 0)) "apiVersions" (list (index $parts 1)) "operations" (splitList "," (index $parts 2)) "resources" $resources "scope" "*") -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
{{- end -}}

{{/*
"true" when the background audit is on (audit.interval other than 0).
*/}}
{{- define "clausegate.auditEnabled" -}}
{{- $interval := toString (default "0" .Values.audit.interval) -}}
{{- if and (ne $interval "0") (ne $interval "") -}}true{{- end -}}
{{- end -}}

{{/*
What the audit lists: the resources of the webhook's rules that a CREATE reaches
(existing objects are judged as their creation), subresources left out, one RBAC
rule per API group with the verb list. A YAML list.
*/}}
{{- define "clausegate.auditRules" -}}
{{- $byGroup := dict -}}
{{- range $rule := fromYamlArray (include "clausegate.webhookRules" .) -}}
{{- if or (has "CREATE" $rule.operations) (has "*" $rule.operations) -}}
{{- range $g := $rule.apiGroups -}}
{{- range $r := $rule.resources -}}
{{- if not (contains "/" $r) -}}
{{- $_ := set $byGroup $g (append (default (list) (get $byGroup $g)) $r | uniq | sortAlpha) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $rules := list -}}
{{- range $g := keys $byGroup | sortAlpha -}}
{{- $resources := get $byGroup $g -}}
{{- if has "*" $resources -}}{{- $resources = list "*" -}}{{- end -}}
{{- $rules = append $rules (dict "apiGroups" (list $g) "resources" $resources "verbs" (list "list")) -}}
{{- end -}}
{{- if $rules -}}{{- toYaml $rules -}}{{- end -}}
{{- end -}}
