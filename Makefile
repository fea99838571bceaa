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

# The Host header picks coin-flip at the gateway, so no DNS is needed.
load: ## autocannon at coin-flip's /compute through $(GATEWAY)
	node_modules/.bin/autocannon -d 30 -c 20 -m POST -H 'Host: $(COIN_FLIP_HOST)' -H 'content-type: application/json' \
	  -b '{"heads":8}' $(GATEWAY)/compute
