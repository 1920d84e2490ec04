#!/usr/bin/env bash
# Writes .env for docker-compose.yml from .env.example with a fresh RS256 key
# pair and random secrets. Refuses to overwrite an existing .env (keys in use
# would stop every issued token from working). Usage: bash scripts/make-env.sh [ADMIN_EMAIL]
# (ENV_FILE=path writes somewhere else; the deploy test uses that).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${ENV_FILE:-.env}
[ -e "$target" ] && { echo "make-env: $target exists; remove it first to start over" >&2; exit 1; }
command -v openssl >/dev/null || { echo "make-env: openssl is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/private.pem" 2>/dev/null
openssl pkey -in "$work/private.pem" -pubout -out "$work/public.pem"
# One line with literal \n escapes, doubled once more for sed's replacement text.
one_line() { awk 'BEGIN { ORS = "\\\\n" } { print }' "$1"; }
secret() { openssl rand -base64 48 | tr -d '\n/+=' | cut -c1-"$1"; }

admin_email=${1:-admin@example.com}
sed \
  -e "s|^JWT_PRIVATE_KEY=.*|JWT_PRIVATE_KEY='$(one_line "$work/private.pem")'|" \
  -e "s|^JWT_PUBLIC_KEY=.*|JWT_PUBLIC_KEY='$(one_line "$work/public.pem")'|" \
  -e "s|^ADMIN_EMAIL=.*|ADMIN_EMAIL=$admin_email|" \
  -e "s|^ADMIN_PASSWORD=.*|ADMIN_PASSWORD=$(secret 24)|" \
  -e "s|^ADMISSION_TOKEN_SECRET=.*|ADMISSION_TOKEN_SECRET=$(secret 48)|" \
  -e "s|^GRAFANA_ADMIN_PASSWORD=.*|GRAFANA_ADMIN_PASSWORD=$(secret 20)|" \
  -e "s|^MONGO_ROOT_PASSWORD=.*|MONGO_ROOT_PASSWORD=$(secret 32)|" \
  -e "s|^REDIS_PASSWORD=.*|REDIS_PASSWORD=$(secret 32)|" \
  -e "s|^CLIENT_ADDRESS_SECRET=.*|CLIENT_ADDRESS_SECRET=$(secret 48)|" \
  .env.example > "$target"
chmod 600 "$target"
echo "make-env: wrote $target (admin: $admin_email, password in ADMIN_PASSWORD)"
