#!/bin/sh
# Runs inside the booted test system (packaging/boot-test/run), as a oneshot
# service after multi-user.target; writes /root/boot-test.log, then powers
# the system off. Ends with "BOOT TEST PASSED" or "BOOT TEST FAILED".
exec >/root/boot-test.log 2>&1
failed=0
check() { # WHAT CONDITION...
    what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=1; fi
}
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
main_pid() { systemctl show -p MainPID --value strongroomd.service; }
journal() { journalctl --no-pager -o cat -u strongroomd.service; }

# As the package's postinst and an operator would: an encrypted credential.
head -c 32 /dev/urandom >/root/key
install -d -m 0700 /etc/credstore.encrypted
systemd-creds encrypt --name=strongroom.key --with-key=host /root/key \
    /etc/credstore.encrypted/strongroom.key
useradd -m -G strongroom-users alice
useradd -m bob

systemctl start strongroomd.socket
check "socket root:strongroom-users 0660" \
    test "$(stat -c '%A %U %G' /run/strongroom/strongroom.sock)" = "srw-rw---- root strongroom-users"
check "service not started before the first connection" \
    test "$(systemctl is-active strongroomd.service)" = inactive

# alice may connect (socket group); the daemon answers and, knowing no
# account for her uid (from SO_PEERCRED), denies: exit 3. bob cannot connect.
runuser -u alice -- strongroom whoami
check "alice reaches the daemon (socket activation; exit 3: no account)" test $? -eq 3
runuser -u bob -- strongroom whoami
check "bob, not in strongroom-users, cannot connect (exit 6)" test $? -eq 6

pid=$(main_pid)
check "service active" test "$(systemctl is-active strongroomd.service)" = active
check "runs as strongroom" test "$(status_field "$pid" Uid | cut -f1)" = "$(id -u strongroom)"
check "no capabilities" test "$(status_field "$pid" CapEff)" = 0000000000000000
check "empty bounding set" test "$(status_field "$pid" CapBnd)" = 0000000000000000
check "no_new_privs" test "$(status_field "$pid" NoNewPrivs)" = 1
check "seccomp filter on" test "$(status_field "$pid" Seccomp)" = 2
check "key loaded from the credential" sh -c 'journalctl --no-pager -o cat -u strongroomd.service | grep -q "master key loaded from systemd credential"'
check "key pages locked (RLIMIT_MEMLOCK is enough)" sh -c '! journalctl --no-pager -o cat -u strongroomd.service | grep -q "could not be locked"'
check "VmLck > 0" test "$(status_field "$pid" VmLck | tr -dc 0-9)" -gt 0
check "state directory 0700 strongroom" \
    test "$(stat -c '%a %U' /var/lib/strongroom)" = "700 strongroom"
grep -E 'Uid|CapEff|CapBnd|NoNewPrivs|Seccomp|VmLck' "/proc/$pid/status"

systemctl restart strongroomd.service
check "restart" test "$(systemctl is-active strongroomd.service)" = active
systemctl stop strongroomd.service
check "socket survives a stop of the service" test -S /run/strongroom/strongroom.sock
runuser -u alice -- strongroom whoami
check "the next connection starts it again" test $? -eq 3
systemctl stop strongroomd.socket strongroomd.service
check "stopping the socket unit removes the socket" test ! -e /run/strongroom/strongroom.sock
check "the database stays" test -s /var/lib/strongroom/strongroom.db

# The unit's sandbox, call by call (sr-probe.service: the same settings).
systemctl start sr-probe.service
check "sr-probe under the unit's sandbox" test $? -eq 0
journalctl --no-pager -o cat -u sr-probe.service | grep -E '^(ok|BAD) '

# The documented drop-in for a plain key file (the same key).
install -d /etc/systemd/system/strongroomd.service.d
cp /usr/share/doc/strongroom/examples/key-file.conf /etc/systemd/system/strongroomd.service.d/
install -m 0400 /root/key /etc/strongroom/strongroom.key
systemctl daemon-reload
systemctl start strongroomd.socket
runuser -u alice -- strongroom whoami
check "key-file drop-in: the daemon opens the database with the key file" test $? -eq 3
systemctl stop strongroomd.socket strongroomd.service

echo "--- journal of strongroomd.service"
journal
if [ "$failed" -eq 0 ]; then echo "BOOT TEST PASSED"; else echo "BOOT TEST FAILED"; fi
