#!/bin/sh
# The default user, password and vhost go into a config file in the data volume (the root
# filesystem may be read-only), as the official image's environment does.
set -eu
cat > "$RABBITMQ_CONFIG_FILE" <<CONF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
default_vhost = ${RABBITMQ_DEFAULT_VHOST:-/}
loopback_users = none
CONF
exec "$@"
