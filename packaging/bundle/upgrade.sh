#!/bin/sh
# Runs inside a root booted under systemd-nspawn (packaging/bundle/test) for
# the upgrade from the previous release (packaging/previous-release):
#
#   upgrade.sh before   the previous release is installed: the officer's first
#                       start as that release had it (key as a systemd
#                       credential, the mission code in strongroomd.conf), a
#                       mission with records and an auditor's checkpoint
#   upgrade.sh after    the bundle's install has upgraded it: every record,
#                       its registry number and content, the audit chain
#                       against the checkpoint, the officer's configuration
#                       kept; new work numbered after the old; the previous
#                       release refused on the newer schema, naming both
#                       versions; this release serving again once reinstalled
#
# Writes /root/upgrade-PHASE.log, ending with "UPGRADE PHASE PASSED" or
# "... FAILED". The previous release's tools are used before the upgrade,
# so only commands both releases have appear in "before".
phase=$1
exec >"/root/upgrade-$phase.log" 2>&1
failed=0
check() { # WHAT CONDITION...
    what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=1; fi
}
as() { # USER COMMAND...
    who=$1
    shift
    runuser -u "$who" -- "$@"
}
# The registry numbers a --json list names, sorted, one per line.
numbers() { grep -o '"registry_number":"[^"]*"' "$1" | sort; }

case "$phase" in
before)
    for u in alice carol dave erin; do useradd -m -G strongroom-users "$u"; done
    # The officer's configuration, as that release's documentation had it.
    printf '[mission]\ncode = "PREV"\n' >/etc/strongroom/strongroomd.conf
    mkdir -p /etc/credstore.encrypted
    key=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
    printf '%s\n' "$key" | systemd-creds encrypt --name=strongroom.key - /etc/credstore.encrypted/strongroom.key
    check "the key is an encrypted credential" test -s /etc/credstore.encrypted/strongroom.key
    systemctl start strongroomd.socket
    strongroom-admin init --officer alice --uid "$(id -u alice)"
    check "init (previous release, socket activation)" test $? -eq 0
    as alice strongroom-admin account add dave --uid "$(id -u dave)" &&
        as alice strongroom-admin account add erin --uid "$(id -u erin)" --role auditor &&
        as alice strongroom-admin compartment add JMAC &&
        as alice strongroom-admin post add desk --level confidential &&
        as alice strongroom-admin grant desk JMAC --level confidential &&
        as alice strongroom-admin post assign desk dave
    check "accounts, compartment, post and grant" test $? -eq 0
    printf 'assessment of the northern sector\n' >/tmp/one.txt
    printf 'movements along the border\n' >/tmp/two.txt
    chmod 0644 /tmp/one.txt /tmp/two.txt
    as dave strongroom ingest /tmp/one.txt --title Assessment --level confidential --compartment JMAC &&
        as dave strongroom ingest /tmp/two.txt --title Movements --level confidential
    check "two records ingested" test $? -eq 0
    as dave strongroom --json list >/root/list-before.json
    check "the records are listed" test "$(numbers /root/list-before.json | wc -l)" -eq 2
    as erin strongroom-admin audit checkpoint >/root/checkpoint-before.txt
    check "an auditor's checkpoint of the chain" test -s /root/checkpoint-before.txt
    dpkg-query -W -f='${Version}\n' strongroom >/root/version-before
    ;;
after)
    check "the bundle's release replaced the previous one" \
        test "$(dpkg-query -W -f='${Version}' strongroom)" != "$(cat /root/version-before)"
    check "the officer's configuration is kept" grep -qx 'code = "PREV"' /etc/strongroom/strongroomd.conf
    check "the new default configuration is beside it" test -f /etc/strongroom/strongroomd.conf.dpkg-dist
    systemctl start strongroomd.socket
    as dave strongroom --json list >/root/list-after.json
    check "dave lists after the upgrade" test $? -eq 0
    check "every record kept, with its registry number" \
        test "$(numbers /root/list-after.json)" = "$(numbers /root/list-before.json)"
    check "the schema was migrated at start" sh -c \
        'journalctl --no-pager -o cat -u strongroomd.service | grep -q "opened (schema version [0-9]*, migrated from 5)"'
    id=$(grep -o '"id":[0-9]*' /root/list-before.json | head -1 | cut -d: -f2)
    as dave strongroom get "$id" -o - --purpose "upgrade check" >/root/content
    check "a record's content reads back" grep -q 'assessment of the northern sector\|movements along the border' /root/content
    cp /root/checkpoint-before.txt /tmp/checkpoint.txt
    chmod 0644 /tmp/checkpoint.txt
    as erin strongroom-admin audit verify --checkpoint /tmp/checkpoint.txt
    check "the audit chain verifies against the previous release's checkpoint" test $? -eq 0
    printf 'after the upgrade\n' >/tmp/three.txt
    chmod 0644 /tmp/three.txt
    as dave strongroom --json ingest /tmp/three.txt --title After --level confidential >/tmp/three.json
    check "ingest after the upgrade" test $? -eq 0
    new=$(grep -o '"registry_number":"[^"]*"' /tmp/three.json)
    check "its registry number is a new one" sh -c "test -n '$new' && ! grep -qF '$new' /root/list-before.json"

    # Back to the previous release: refused on the newer schema, naming both.
    dpkg -i /root/previous.deb
    check "the previous release's package installs over this one" test $? -eq 0
    systemctl stop strongroomd.service
    systemctl reset-failed strongroomd.service strongroomd.socket 2>/dev/null
    systemctl start strongroomd.socket
    as dave strongroom whoami
    check "the previous release does not serve the newer schema" test $? -ne 0
    check "and says which versions" sh -c \
        'journalctl --no-pager -o cat -u strongroomd.service | grep -q "schema is version [0-9]*, newer than this strongroomd supports (5)"'
    dpkg -i /root/current.deb
    check "this release's package installs again" test $? -eq 0
    systemctl reset-failed strongroomd.service strongroomd.socket 2>/dev/null
    systemctl start strongroomd.socket
    as dave strongroom --json list >/root/list-again.json
    check "this release serves again once reinstalled, every record there" \
        test "$(numbers /root/list-again.json | wc -l)" -eq 3
    ;;
*)
    echo "usage: upgrade.sh before|after"
    exit 2
    ;;
esac

if [ "$failed" -ne 0 ]; then
    systemctl --no-pager status strongroomd.socket strongroomd.service
    journalctl --no-pager -n 30 -o short-monotonic
fi
if [ "$failed" -eq 0 ]; then echo "UPGRADE $phase PASSED"; else echo "UPGRADE $phase FAILED"; fi
