# syntax=docker/dockerfile:1
# One image for every function (DESIGN §2): each Knative Service picks its function with
# FUNCTION_TARGET. Built for linux with Node 20 (package.json engines), as the tests run.

# --- build: compile the TypeScript once, with the dev dependencies (typescript) ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a source change reuses the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci
# .dockerignore keeps tests, benchmarks, docs and local state out; tsc compiles what is left.
COPY . .
RUN npm run build \
 # Folders the runtime stage copies, made if absent so COPY never fails on a missing one.
 && mkdir -p db/migrations ui

# --- runtime: production dependencies and the compiled code, run as a non-root user ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out embedded-postgres' server binaries (the local runtime's database; a
# cluster has a real one). --ignore-scripts: the runtime dependencies are plain JavaScript.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time: the SQL migrations (migrate Job) and the history UI's static files.
COPY --from=build /app/db/migrations ./db/migrations
COPY --from=build /app/ui ./ui
# Numeric, so the kubelet can check runAsNonRoot (the node user of the base image is 1000).
USER 1000:1000
EXPOSE 8080
# functions-framework's own main (node, not npx: signals reach it as PID 1), on the one entry;
# Knative sets PORT, the Service sets FUNCTION_TARGET. The functions use the http signature and
# parse CloudEvents themselves (lib/cloudevents). exec: node replaces the shell.
CMD ["sh", "-c", "exec node node_modules/@google-cloud/functions-framework/build/src/main.js --target=\"$FUNCTION_TARGET\" --signature-type=http --source=dist/functions/index.js"]
