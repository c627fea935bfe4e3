# Sourced (not executed: keep this file non-executable) by the MariaDB image's entrypoint, once,
# when the data volume is empty; docker_process_sql is the entrypoint's own helper and logs in as root.
#
# Each ticketing service creates and migrates its own database `<prefix>_<service>`
# (`ticketing migrate`, or the service at start), so the application user gets every privilege on
# the databases named `<prefix>_*` and on nothing else.
ticketing_prefix="${TICKETING_DB_PREFIX:-ticketing}"
docker_process_sql --database=mysql <<SQL
GRANT ALL PRIVILEGES ON \`${ticketing_prefix}\_%\`.* TO '${MARIADB_USER}'@'%';
FLUSH PRIVILEGES;
SQL
