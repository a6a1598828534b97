# One image for every service and the gateway; docker-compose.yml picks the command.
# GraphiQL's assets (the gateway serves them at /graphql/assets), from the pinned lock file.
FROM node:20-slim AS graphiql
WORKDIR /graphiql
COPY gateway/graphql/package.json gateway/graphql/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The fonts of the invoice PDFs (config INVOICING.FONTS).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY scripts/quiet_eventlet.pth /usr/local/lib/python3.11/site-packages/
COPY . .
COPY --from=graphiql /graphiql/node_modules var/graphiql/node_modules
RUN useradd --system oms && mkdir -p var/jwt && chown -R oms var
USER oms
CMD ["nameko", "run", "--config", "config.yaml", "users.service:UsersService"]
