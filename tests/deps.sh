# Debian 12 packages ticketd needs: sourced by .ci/run and demo.sh.
# Keep this the only list.  Build: compiler, autotools and the libraries
# configure.ac checks for.  Test: the servers and tools the test suite and
# the demo start (Dovecot, aiosmtpd), sqlite3 for poking at databases and
# valgrind for memory checks.

TICKETD_BUILD_DEPS="build-essential autoconf automake libtool pkg-config \
libetpan-dev libgmime-3.0-dev libsqlite3-dev libcurl4-gnutls-dev \
libxml2-dev libjson-glib-dev libuchardet-dev"
TICKETD_TEST_DEPS="dovecot-imapd python3 python3-aiosmtpd sqlite3 valgrind chromium clang libclang-rt-14-dev"
TICKETD_DEPS="$TICKETD_BUILD_DEPS $TICKETD_TEST_DEPS"
# CI only (.ci/run), not demo.sh: Postfix for its smtp-sink, the real
# server that offers PIPELINING in run-integration's pipelining case
# (skipped without it); installing it on a desktop would start an MTA.
TICKETD_CI_DEPS="postfix"

# Print the packages of TICKETD_DEPS that are not installed.
ticketd_missing_deps() {
	local p st
	for p in $TICKETD_DEPS; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
		[ "$st" = installed ] || echo "$p"
	done
}

# Install whatever is missing (root only); does nothing when all are there.
ticketd_install_deps() {
	local missing
	missing=$(ticketd_missing_deps | tr '\n' ' ')
	if [ -z "${missing// /}" ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages: $missing" >&2
		echo "install them as root: apt-get install $missing" >&2
		return 1
	fi
	echo "installing: $missing"
	apt-get update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
}
