#!/bin/sh
# Runs inside the root the bundle was installed into, once it has booted
# under systemd-nspawn (packaging/bundle/test): the officer's first start as
# docs/operations.md gives it, then what the service must be. Writes
# /root/bundle-boot.log, ending with "BUNDLE BOOT PASSED" or "... FAILED".
exec >/root/bundle-boot.log 2>&1
failed=0
check() { # WHAT CONDITION...
    what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=1; fi
}
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
main_pid() { systemctl show -p MainPID --value strongroomd.service; }

useradd -m -G strongroom-users alice
useradd -m -G strongroom-users carol
useradd -m bob

# docs/operations.md, 2.1 to 2.4.
sed -i 's/^#code = .*/code = "BUNDLE"/' /etc/strongroom/strongroomd.conf
strongroomd --check-config
check "the shipped configuration with the mission code is valid" test $? -eq 0
printf '%s\n%s\n' 'correct horse battery' 'correct horse battery' |
    strongroomd --provision-key --escrow /root/escrow.txt
check "the key is provisioned as an encrypted credential" test -s /etc/credstore.encrypted/strongroom.key
check "service not started before the first connection" \
    test "$(systemctl is-active strongroomd.service)" != active
systemctl start strongroomd.socket
strongroom-admin init --officer alice --uid "$(id -u alice)" --officer carol --uid "$(id -u carol)"
check "init by root (socket activation)" test $? -eq 0
check "service active" test "$(systemctl is-active strongroomd.service)" = active

runuser -u alice -- strongroom whoami
check "alice (account, strongroom-users) gets whoami" test $? -eq 0
runuser -u bob -- strongroom whoami
check "bob, not in strongroom-users, cannot connect (exit 6)" test $? -eq 6

pid=$(main_pid)
check "runs as strongroom" test "$(status_field "$pid" Uid | cut -f1)" = "$(id -u strongroom)"
check "no capabilities" test "$(status_field "$pid" CapEff)" = 0000000000000000
check "no_new_privs" test "$(status_field "$pid" NoNewPrivs)" = 1
check "seccomp filter on" test "$(status_field "$pid" Seccomp)" = 2
check "sees only lo" test "$(tail -n +3 "/proc/$pid/net/dev" | cut -d: -f1 | tr -d ' ')" = lo
check "key loaded from the credential" sh -c \
    'journalctl --no-pager -o cat -u strongroomd.service | grep -q "master key loaded from systemd credential"'

systemctl restart strongroomd.service
runuser -u alice -- strongroom whoami >/dev/null
check "data kept across systemctl restart (alice's account still there)" test $? -eq 0

# A package upgrade while serving: the service is restarted, the data kept.
before=$(systemctl show -p MainPID --value strongroomd.service)
dpkg -i /root/strongroom-upgrade.deb
check "package upgrade installs" test $? -eq 0
check "upgraded version installed" sh -c 'dpkg-query -W -f="\${Version}" strongroom | grep -q "+upgrade1$"'
check "service active after the upgrade" test "$(systemctl is-active strongroomd.service)" = active
check "service restarted by the upgrade" test "$(main_pid)" != "$before"
runuser -u alice -- strongroom whoami >/dev/null
check "data kept across the package upgrade" test $? -eq 0
runuser -u alice -- strongroom-admin status >/dev/null
check "status after the upgrade" test $? -eq 0

if [ "$failed" -ne 0 ]; then
    systemctl --no-pager status strongroomd.socket strongroomd.service
    journalctl --no-pager -n 30 -o short-monotonic
fi
if [ "$failed" -eq 0 ]; then echo "BUNDLE BOOT PASSED"; else echo "BUNDLE BOOT FAILED"; fi
