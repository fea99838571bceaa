# Verbs over npm and kubectl; each target says what it runs. `make help` lists them.
# Cluster targets need kubectl with a context pointing at a cluster with Knative Serving and
# Eventing (docs/cluster.md); the rest need only Node 20.

# Where the image goes: a registry you can push to, or kind.local for a kind cluster (the image is
# loaded into kind, and Knative skips tag resolution for kind.local).
REGISTRY ?= kind.local
TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
IMAGE := $(REGISTRY)/pingpong:$(TAG)
KIND_CLUSTER ?= kind
NAMESPACE := pingpong
# Broker ingress, port-forwarded by `make demo`; the path is /<namespace>/<broker>.
BROKER_PORT ?= 8081
COIN_FLIP_HOST ?= coin-flip.$(NAMESPACE).127.0.0.1.sslip.io

.PHONY: help install build test start bench images deploy undeploy demo watch load

# A running `npm start` leaves .local/runtime.json: then demo and watch act on it, through its own
# kubeconfig and Broker port; otherwise on kubectl's current context (a cluster).
LOCAL_RUNTIME := $(wildcard .local/runtime.json)
KUBECTL := kubectl$(if $(LOCAL_RUNTIME), --kubeconfig .local/kubeconfig)
# The Knative gateway: the running npm start's, else a cluster's kourier, port-forwarded to 8080.
GATEWAY ?= $(if $(LOCAL_RUNTIME),$(shell node -p 'require("./.local/runtime.json").gatewayUrl'),http://localhost:8080)

# Each target with its description, variables expanded to what this invocation would use.
help:
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | \
	  sed -e 's#$$(IMAGE)#$(IMAGE)#g; s#$$(REGISTRY)#$(REGISTRY)#g; s#$$(TAG)#$(TAG)#g; s#$$(NAMESPACE)#$(NAMESPACE)#g' \
	      -e 's#$$(LOAD_CONCURRENCY)#$(LOAD_CONCURRENCY)#g; s#$$(LOAD_SECONDS)#$(LOAD_SECONDS)#g' \
	      -e 's#$$(GATEWAY)#$(GATEWAY)#g; s#$$(KUBECTL)#$(KUBECTL)#g; s#$$(TARGET)#$(if $(LOCAL_RUNTIME),the running npm start,kubectl'"'"'s current cluster)#g' | \
	  awk -F'\t' '{ printf "  %-10s %s\n", $$1, $$2 }'

install: ## npm ci
	npm ci

build: ## compile TypeScript to dist/
	npm run build

test: ## every test that needs no cluster
	npm test

start: ## run the manifests on this machine (local runtime + embedded PostgreSQL)
	npm start

bench: ## benchmarks and their report
	npm run bench

images: ## build the one image as $(REGISTRY)/pingpong:$(TAG); push it, or load it into kind
	docker build -t $(IMAGE) .
	if [ "$(REGISTRY)" = kind.local ]; then kind load docker-image $(IMAGE) --name $(KIND_CLUSTER); \
	else docker push $(IMAGE); fi

# kubectl alone (no kustomize binary): render, swap the image named once in kustomization.yaml
# for $(IMAGE), apply. The database credentials are made in the cluster by the pingpong-credentials
# Job (db/k8s/400-credentials-job.yaml), so nothing is written here first. Both Jobs are deleted
# first: a Job's pod template is immutable (the credentials Job re-runs and changes nothing).
# A cluster installed when the Secret came from a secretGenerator has the passwords in the Secret's
# last-applied annotation, and apply would now delete them (data: null); the annotation is dropped
# once, which keeps the keys.
# The table's CRD goes first, until it is Established: in one apply its PingPongTable would meet
# "no matches for kind" before the API server serves the kind.
deploy: ## kubectl apply -k . with the image set to $(IMAGE)
	kubectl delete job pingpong-migrate pingpong-credentials -n $(NAMESPACE) --ignore-not-found
	if kubectl get secret pingpong-postgres -n $(NAMESPACE) -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}' 2>/dev/null | grep -q '"data"'; then \
	  kubectl annotate secret pingpong-postgres -n $(NAMESPACE) kubectl.kubernetes.io/last-applied-configuration-; fi
	kubectl apply -f knative/300-crd-pingpongtables.yaml
	kubectl wait --for=condition=Established crd/pingpongtables.pingpong.dev --timeout=60s
	kubectl kustomize . | sed -E 's#^([[:space:]]*-?[[:space:]]*image: )pingpong(:[A-Za-z0-9._-]+)?$$#\1$(IMAGE)#' | kubectl apply -f -

undeploy: ## kubectl delete -k . (the namespace with it, the database and its credentials too)
	kubectl delete -k . --ignore-not-found

# A ball request and a flip request through the Broker's ingress, as any client would send them:
# to the running `npm start`'s Broker, or to a cluster's through a port-forward.
demo: ## send a ball request and a coin-flip request to the Broker of $(TARGET)
	@set -e; run=$$(node -p 'crypto.randomUUID().slice(0, 8)'); \
	if [ -n "$(LOCAL_RUNTIME)" ]; then \
	  url="$$(node -p 'require("./.local/runtime.json").brokerUrl')/$(NAMESPACE)/default"; \
	else \
	  kubectl get namespace knative-eventing >/dev/null 2>&1 || { \
	    echo "make demo: no running npm start here (.local/runtime.json) and no cluster with Knative Eventing in kubectl's current context: start one of them first" >&2; exit 2; }; \
	  kubectl port-forward -n knative-eventing svc/broker-ingress $(BROKER_PORT):80 >/dev/null & pf=$$!; \
	  trap 'kill $$pf' EXIT; \
	  for i in $$(seq 50); do curl -s -o /dev/null -X OPTIONS http://localhost:$(BROKER_PORT)/ && break; sleep 0.2; done; \
	  url=http://localhost:$(BROKER_PORT)/$(NAMESPACE)/default; \
	fi; \
	echo "POST $$url  dev.pingpong.ball.requested  ce-id demo-ball-$$run"; \
	curl -sS -i "$$url" -H 'ce-specversion: 1.0' -H 'ce-type: dev.pingpong.ball.requested' \
	  -H 'ce-source: /pingpong/demo' -H "ce-id: demo-ball-$$run" \
	  -H 'content-type: application/json' -d '{"count":3}'; \
	echo "POST $$url  dev.pingpong.coin.flip.requested  ce-id demo-flip-$$run"; \
	curl -sS -i "$$url" -H 'ce-specversion: 1.0' -H 'ce-type: dev.pingpong.coin.flip.requested' \
	  -H 'ce-source: /pingpong/demo' -H "ce-id: demo-flip-$$run" \
	  -H 'content-type: application/json' -d '{"heads":5}'; \
	if [ -n "$(LOCAL_RUNTIME)" ]; then echo "The balls it served: npx pingpong balls --source /pingpong/demo --id demo-ball-$$run"; fi

# kubectl's -w follows one resource type; revisions: $(KUBECTL) get revisions -n $(NAMESPACE) -w
watch: ## follow the pods of $(TARGET) as they come and go (scale to zero and back)
	$(KUBECTL) get pods -n $(NAMESPACE) -w

# `make load`: coin-flip, LOAD_CONCURRENCY requests at a time for LOAD_SECONDS, its pods printed
# once a second, then until it is back at zero (at most LOAD_WATCH_AFTER seconds). With a running
# npm start it is `npm run load` (each pod with its requests in flight, from the runtime). On a
# cluster: autocannon through $(GATEWAY) (kourier port-forwarded to 8080; the Host header picks
# coin-flip, so no DNS is needed) with kubectl's pods alongside; a cluster's requests in flight per
# pod are counted in each pod's queue-proxy, which kubectl does not show.
LOAD_CONCURRENCY ?= 8
LOAD_SECONDS ?= 30
LOAD_WATCH_AFTER ?= 90
LOAD_BODY ?= {"heads":20}
load: ## drive coin-flip, $(LOAD_CONCURRENCY) requests at a time for $(LOAD_SECONDS)s, on $(TARGET); its pods once a second until back at zero
	@set -e; \
	if [ -n "$(LOCAL_RUNTIME)" ]; then \
	  exec npm run --silent load -- --concurrency $(LOAD_CONCURRENCY) --duration $(LOAD_SECONDS)s --watch-after $(LOAD_WATCH_AFTER)s --body '$(LOAD_BODY)'; \
	fi; \
	kubectl get namespace knative-serving >/dev/null 2>&1 || { \
	  echo "make load: no running npm start here (.local/runtime.json) and no cluster with Knative Serving in kubectl's current context: start one of them first" >&2; exit 2; }; \
	start=$$(date +%s); \
	pods() { \
	  t="$$(( $$(date +%s) - start ))s"; \
	  out=$$(kubectl get pods -n $(NAMESPACE) -l serving.knative.dev/service=coin-flip --no-headers 2>/dev/null) || { printf '%6s  (kubectl get pods failed)\n' "$$t"; return 2; }; \
	  [ -n "$$out" ] || { printf '%6s  %4d  - (at zero)\n' "$$t" 0; return 1; }; \
	  printf '%s\n' "$$out" | awk -v t="$$t" '{ n += ($$3 != "Terminating"); p = $$1; sub(/^coin-flip-/, "", p); sub(/-deployment-/, "-", p); s = s sep p " " $$3 " " $$2; sep = ", " } END { printf "%6s  %4d  %s\n", t, n, s }'; \
	}; \
	echo "make load: POST $(GATEWAY)/compute "'$(LOAD_BODY)'" (Host: $(COIN_FLIP_HOST)), $(LOAD_CONCURRENCY) at a time for $(LOAD_SECONDS)s"; \
	echo "On a cluster each pod's requests in flight are in its queue-proxy, not visible to kubectl: the pods, their status and READY only."; \
	echo "  TIME  PODS  POD (coin-flip-…) STATUS READY"; \
	( while sleep 1; do pods || true; done ) & watcher=$$!; \
	trap 'kill $$watcher 2>/dev/null || true' EXIT; trap 'exit 130' INT TERM; \
	node_modules/.bin/autocannon -n -d $(LOAD_SECONDS) -c $(LOAD_CONCURRENCY) -m POST -H 'Host=$(COIN_FLIP_HOST)' -H 'content-type=application/json' \
	  -b '$(LOAD_BODY)' $(GATEWAY)/compute; \
	kill $$watcher 2>/dev/null || true; \
	echo "load stopped; watching until coin-flip is back at zero (at most $(LOAD_WATCH_AFTER)s)"; \
	end=$$(( $$(date +%s) + $(LOAD_WATCH_AFTER) )); \
	while [ $$(date +%s) -lt $$end ]; do \
	  sleep 1; rc=0; pods || rc=$$?; \
	  if [ $$rc -eq 1 ]; then echo "coin-flip is back at zero pods."; exit 0; fi; \
	done; \
	echo "coin-flip still has pods $(LOAD_WATCH_AFTER)s after the load stopped (a cluster's stable window is 60s by default, then scale-to-zero's grace period): LOAD_WATCH_AFTER=300 watches longer"
