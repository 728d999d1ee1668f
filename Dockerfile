# One image for every process of the cluster; docker-compose.yml picks the entry point.
# The build stage compiles apps/, libs/ and tools/ only (tsconfig.build.json):
# bench/ and test/ are not part of the image. test/foundation/docker-build.e2e-spec.ts
# replays this stage without Docker (same COPY lines, same RUN commands).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY tools tools
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
CMD ["node", "--enable-source-maps", "dist/apps/gateway/src/main.js"]
