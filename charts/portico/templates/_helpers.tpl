{{/* Object names: the release name when it contains "portico" (helm install portico ...), else RELEASE-portico. */}}
{{- define "portico.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portico.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object: manifests/'s two (name, part-of), Helm's release labels, commonLabels. */}}
{{- define "portico.labels" -}}
app.kubernetes.io/name: {{ include "portico.name" . }}
app.kubernetes.io/part-of: portico
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The controller pods' labels, and the selector of the workload and the Service. The instance label
     keeps two releases in one namespace apart. */}}
{{- define "portico.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portico.name" . }}
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portico.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "portico.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "portico.image" -}}
{{- $image := .Values.controller.image -}}
{{- if regexMatch "ingress-nginx/controller|ingress-nginx-controller|nginx-ingress-controller" (toString $image.repository) -}}
{{- fail (printf "controller.image.repository: %q is ingress-nginx's controller image; Portico runs its own image (Dockerfile), leave controller.image out of the values taken from ingress-nginx" $image.repository) -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion (toString $image.tag)) -}}
{{- end -}}
{{- end -}}

{{/* Namespace the controller watches, or "" for every namespace. */}}
{{- define "portico.watchNamespace" -}}
{{- if .Values.controller.watchNamespace -}}
{{- .Values.controller.watchNamespace -}}
{{- else if .Values.controller.scope.enabled -}}
{{- default .Release.Namespace .Values.controller.scope.namespace -}}
{{- end -}}
{{- end -}}

{{/* Where nginx listens in the pod: 80/443 in the pod's own network namespace (the sysctl), 8080/8443
     in the node's, unless containerPort says otherwise. */}}
{{- define "portico.httpPort" -}}
{{- $port := .Values.controller.containerPort.http | default (ternary 8080 80 .Values.controller.hostNetwork) | int -}}
{{- include "portico.checkHostPort" (dict "port" $port "key" "controller.containerPort.http" "root" .) -}}
{{- $port -}}
{{- end -}}

{{- define "portico.httpsPort" -}}
{{- $port := .Values.controller.containerPort.https | default (ternary 8443 443 .Values.controller.hostNetwork) | int -}}
{{- include "portico.checkHostPort" (dict "port" $port "key" "controller.containerPort.https" "root" .) -}}
{{- $port -}}
{{- end -}}

{{- define "portico.checkHostPort" -}}
{{- if and .root.Values.controller.hostNetwork (lt (int .port) 1024) -}}
{{- fail (printf "%s: %d with controller.hostNetwork: true: the pod runs as uid 10001 with no capability and the unprivileged-port sysctl cannot be set in the node's network namespace, so nginx cannot bind a port below 1024 there; leave containerPort empty (8080/8443)" .key (int .port)) -}}
{{- end -}}
{{- end -}}

{{/* `portico run` flags (node dist/cli/main.js run --help; e2e/helm.e2e.test.ts keeps this list equal to it). */}}
{{- define "portico.runFlags" -}}
allow-snippet-annotations annotations-prefix configmap controller-class debounce-ms debug-address debug-port default-ssl-certificate dynamic-endpoints election-id healthz-stall-ms http-port https-port ingress-class ingress-class-by-name kubeconfig log-format log-level manifests metrics-port min-reload-interval-ms namespace nginx-binary nginx-modules-dir publish-service publish-status-address state-dir status-port template-dir watch-ingress-without-class watch-namespace
{{- end -}}

{{/* Flags the chart sets itself, and the value that sets each. */}}
{{- define "portico.chartFlags" -}}
configmap: controller.config (the chart's ConfigMap)
publish-service: controller.publishService
election-id: controller.electionID
state-dir: (fixed, the state volume)
http-port: controller.containerPort.http
https-port: controller.containerPort.https
ingress-class: controller.ingressClass
controller-class: controller.ingressClassResource.controllerValue
watch-namespace: controller.watchNamespace
metrics-port: controller.metrics.port
allow-snippet-annotations: controller.allowSnippetAnnotations
watch-ingress-without-class: controller.watchIngressWithoutClass
ingress-class-by-name: controller.ingressClassByName
{{- end -}}

{{/* controller.extraArgs as container args; a flag portico run lacks, or one the chart sets, fails. */}}
{{- define "portico.extraArgs" -}}
{{- $known := splitList " " (include "portico.runFlags" .) -}}
{{- $chart := include "portico.chartFlags" . | fromYaml -}}
{{- range $name, $value := .Values.controller.extraArgs }}
{{- if hasKey $chart $name }}
{{- fail (printf "controller.extraArgs.%s: the chart sets --%s from %s; set that instead" $name $name (get $chart $name)) }}
{{- end }}
{{- if not (has $name $known) }}
{{- fail (printf "controller.extraArgs.%s: portico run has no flag --%s (its flags: portico run --help; README \"Run the controller\"), and the controller would not start" $name $name) }}
{{- end }}
{{- if kindIs "slice" $value }}
{{- range $value }}
- {{ printf "--%s=%v" $name . | quote }}
{{- end }}
{{- else if or (eq (toString $value) "") (eq (toString $value) "true") }}
- {{ printf "--%s" $name | quote }}
{{- else if ne (toString $value) "false" }}
- {{ printf "--%s=%v" $name $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Every key of values.yaml, as a dotted path, except inside maps whose keys are the user's own: maps
     whose default is empty, and controller.config, .resources, .podSecurityContext,
     .containerSecurityContext, .livenessProbe, .readinessProbe (ConfigMap keys, Kubernetes objects).
     The loader keeps values.yaml out of .Files, so the list is here; e2e/helm.e2e.test.ts keeps it equal
     to values.yaml. */}}
{{- define "portico.knownValues" -}}
nameOverride fullnameOverride commonLabels controller controller.image controller.image.repository controller.image.tag controller.image.digest controller.image.pullPolicy controller.kind controller.replicaCount controller.minAvailable controller.updateStrategy controller.minReadySeconds controller.revisionHistoryLimit controller.terminationGracePeriodSeconds controller.hostNetwork controller.hostPort controller.hostPort.enabled controller.hostPort.ports controller.hostPort.ports.http controller.hostPort.ports.https controller.dnsPolicy controller.containerPort controller.containerPort.http controller.containerPort.https controller.config controller.configAnnotations controller.ingressClassResource controller.ingressClassResource.enabled controller.ingressClassResource.name controller.ingressClassResource.default controller.ingressClassResource.controllerValue controller.ingressClassResource.parameters controller.ingressClass controller.ingressClassByName controller.watchIngressWithoutClass controller.allowSnippetAnnotations controller.watchNamespace controller.scope controller.scope.enabled controller.scope.namespace controller.electionID controller.publishService controller.publishService.enabled controller.publishService.pathOverride controller.extraArgs controller.extraEnvs controller.resources controller.podSecurityContext controller.containerSecurityContext controller.sysctls controller.livenessProbe controller.readinessProbe controller.annotations controller.labels controller.podAnnotations controller.podLabels controller.nodeSelector controller.tolerations controller.affinity controller.topologySpreadConstraints controller.priorityClassName controller.extraVolumes controller.extraVolumeMounts controller.extraContainers controller.extraInitContainers controller.service controller.service.enabled controller.service.type controller.service.externalTrafficPolicy controller.service.annotations controller.service.labels controller.service.clusterIP controller.service.externalIPs controller.service.loadBalancerIP controller.service.loadBalancerClass controller.service.loadBalancerSourceRanges controller.service.sessionAffinity controller.service.healthCheckNodePort controller.service.ipFamilyPolicy controller.service.ipFamilies controller.service.appProtocol controller.service.enableHttp controller.service.enableHttps controller.service.ports controller.service.ports.http controller.service.ports.https controller.service.targetPorts controller.service.targetPorts.http controller.service.targetPorts.https controller.service.nodePorts controller.service.nodePorts.http controller.service.nodePorts.https controller.service.nodePorts.tcp controller.service.nodePorts.udp controller.metrics controller.metrics.port controller.metrics.enabled controller.metrics.service controller.metrics.service.annotations controller.metrics.service.labels controller.metrics.service.servicePort controller.metrics.service.type controller.metrics.serviceMonitor controller.metrics.serviceMonitor.enabled controller.metrics.serviceMonitor.additionalLabels controller.metrics.serviceMonitor.namespace controller.metrics.serviceMonitor.namespaceSelector controller.metrics.serviceMonitor.scrapeInterval controller.metrics.serviceMonitor.honorLabels controller.metrics.serviceMonitor.targetLabels controller.metrics.serviceMonitor.relabelings controller.metrics.serviceMonitor.metricRelabelings controller.admissionWebhooks controller.admissionWebhooks.enabled controller.tcp controller.tcp.configMapNamespace controller.tcp.annotations controller.udp controller.udp.configMapNamespace controller.udp.annotations rbac rbac.create serviceAccount serviceAccount.create serviceAccount.name serviceAccount.automountServiceAccountToken serviceAccount.annotations imagePullSecrets tcp udp
{{- end -}}

{{/* One line "- PATH" per value given that values.yaml does not have (so the chart ignores it). */}}
{{- define "portico.unknownValues" -}}
{{- $known := .known -}}
{{- $prefix := .prefix -}}
{{- range $key, $value := .given }}
{{- $path := printf "%s%s" $prefix $key }}
{{- if not (has $path $known) }}
- {{ $path }}
{{- else if kindIs "map" $value }}
{{- $structured := false }}
{{- range $known }}{{ if hasPrefix (printf "%s." $path) . }}{{ $structured = true }}{{ end }}{{ end }}
{{- if $structured }}
{{- include "portico.unknownValues" (dict "given" $value "prefix" (printf "%s." $path) "known" $known) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The controller's reads and writes of namespaced objects: cluster-wide with IngressClasses (.classes),
     or in the watched namespace, where a Role cannot name a cluster-scoped kind. */}}
{{- define "portico.namespacedRules" }}
  - apiGroups: ["networking.k8s.io"]
    resources: {{ ternary (list "ingresses" "ingressclasses") (list "ingresses") .classes | toJson }}
    verbs: ["get", "list", "watch"]
  - apiGroups: ["networking.k8s.io"]
    resources: ["ingresses/status"]
    verbs: ["update", "patch"]
  - apiGroups: [""]
    resources: ["services", "secrets", "configmaps"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["discovery.k8s.io"]
    resources: ["endpointslices"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["", "events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch"]
{{- end }}

{{- define "portico.checkStreamPort" -}}
{{- if not (regexMatch "^[1-9][0-9]{0,4}$" (toString .port)) -}}
{{- fail (printf "%s.%s: the key must be a port number (1-65535)" .protocol (toString .port)) -}}
{{- end -}}
{{- if gt (int .port) 65535 -}}
{{- fail (printf "%s.%s: the key must be a port number (1-65535)" .protocol (toString .port)) -}}
{{- end -}}
{{- if and .hostNetwork (lt (int .port) 1024) -}}
{{- fail (printf "%s.%s: with controller.hostNetwork: true nginx cannot bind a port below 1024 (uid 10001, no capability, no sysctl in the node's network namespace)" .protocol (toString .port)) -}}
{{- end -}}
{{- end -}}

{{/* Container and Service ports of the tcp and udp maps: name PROTOCOL-PORT (at most 9 characters). */}}
{{- define "portico.streamPorts" -}}
{{- range $protocol := list "tcp" "udp" }}
{{- range $port, $target := get $.root.Values $protocol }}
- name: {{ $protocol }}-{{ $port }}
  {{- if eq $.for "container" }}
  containerPort: {{ $port }}
  {{- else }}
  port: {{ $port }}
  targetPort: {{ $protocol }}-{{ $port }}
  {{- with get (get $.root.Values.controller.service.nodePorts $protocol) (toString $port) }}
  nodePort: {{ . }}
  {{- end }}
  {{- end }}
  protocol: {{ upper $protocol }}
{{- end }}
{{- end }}
{{- end -}}
