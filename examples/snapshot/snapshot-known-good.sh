#!/bin/sh
# Snapshot the VM only once smoke says its state is good (hero_demo#46, step 5: "a smoke loop is
# what tells you 'this state is good' before you snapshot it"), and keep the attestation beside
# the snapshot: which panel and which baseline judged it, with which smoke, from where, when,
# and what each probe found.
#
#   SNAPSHOT_CMD   how the snapshot is taken; it is given the snapshot's path as $1. Today's is
#                  the whole-VM tarball (home#226), e.g. 'tar -C / -czf "$1" root/hero'.
#   PANEL          the panel (default /etc/smoke/herodemo.toml), naming its baseline in
#                  [panel] baseline (take one first: smoke-internal baseline --panel "$PANEL").
#   SNAPSHOTS      where snapshots and their attestations go (default /var/backups/herodemo).
#   TICKS          how many clean ticks in a row make it good (default 5).
#
# Exit: 0 the snapshot and its attestation are written; 2 smoke found the state not good (the
# reasons are on stderr, the attestation is kept as the record of the refusal, no snapshot is
# taken); 3 smoke could not tell, or the snapshot failed.
set -eu

PANEL=${PANEL:-/etc/smoke/herodemo.toml}
SNAPSHOTS=${SNAPSHOTS:-/var/backups/herodemo}
TICKS=${TICKS:-5}
: "${SNAPSHOT_CMD:?set SNAPSHOT_CMD, the command that takes the snapshot into \$1}"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$SNAPSHOTS"
attestation="$SNAPSHOTS/herodemo-$stamp.attestation.json"

set +e
smoke-internal gate --panel "$PANEL" --ticks "$TICKS" \
    --attest "$attestation" --junit "$SNAPSHOTS/herodemo-$stamp.junit.xml"
verdict=$?
set -e
if [ "$verdict" -ne 0 ]; then
    echo "snapshot-known-good: not taken: smoke gate exited $verdict (see $attestation)" >&2
    exit "$verdict"
fi

snapshot="$SNAPSHOTS/herodemo-$stamp.tar.gz"
if ! sh -c "$SNAPSHOT_CMD" snapshot "$snapshot"; then
    echo "snapshot-known-good: the snapshot command failed; $attestation describes no snapshot" >&2
    exit 3
fi
# The attestation names the panel and baseline by hash; this names the snapshot it vouches for.
sha256sum "$snapshot" "$attestation" > "$SNAPSHOTS/herodemo-$stamp.sha256"
echo "snapshot-known-good: $snapshot, attested by $attestation"
