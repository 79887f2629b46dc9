#!/bin/bash
# See ticketd work on this machine (Debian 12, as root for package installs):
#
#   ./demo.sh
#
# Installs the packages listed in tests/deps.sh (skipped when all are
# there), builds ticketd, then starts a throwaway Dovecot IMAP server and an
# SMTP sink on 127.0.0.1 under a temporary directory, delivers sample mail,
# runs `ticketd --once` and shows the tickets and the acknowledgements.
# The servers are stopped at the end; the directory is kept for a look.
set -euo pipefail

cd "$(dirname "$0")"
. tests/deps.sh

echo "==> Checking packages"
ticketd_install_deps

if [ ! -f Makefile ]; then
	echo "==> Configuring"
	[ -x configure ] || autoreconf -fi
	./configure
fi
echo "==> Building"
make -j2

python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
echo "==> Running the demo"
exec "$python" tests/demo.py "$@"
