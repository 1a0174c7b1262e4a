#!/usr/bin/env bash
# Run a command with the network unreachable: a fresh network namespace whose only interface is
# the loopback (which Jupyter kernels need), so any attempt to reach another host fails at once.
# Used by `make test-notebooks`: nbval then proves that every notebook runs offline.
#   tools/offline.sh CMD [ARGS...]
# Needs `unshare` (util-linux) and `ip` (iproute2), and root or unprivileged user namespaces. If
# neither way works, it fails, unless COURSEKIT_OFFLINE=skip, where it runs CMD as it is, saying so.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # ip and unshare live there on some systems
inner='ip link set lo up && python3 -c "
import socket, sys
names = [n for _, n in socket.if_nameindex()]
if names != [\"lo\"]:
    sys.exit(f\"offline.sh: interfaces {names}, expected only lo\")
print(\"offline: network namespace with loopback only\", flush=True)
" && exec "$@"'
if unshare --net true 2>/dev/null; then
    exec unshare --net -- bash -c "$inner" bash "$@"
elif unshare --net --map-root-user true 2>/dev/null; then
    exec unshare --net --map-root-user -- bash -c "$inner" bash "$@"
elif [ "${COURSEKIT_OFFLINE:-}" = "skip" ]; then
    echo "offline.sh: no network namespace available; running WITH the network (COURSEKIT_OFFLINE=skip)" >&2
    exec "$@"
else
    echo "offline.sh: cannot create a network namespace (need unshare and root or user namespaces);" \
         "set COURSEKIT_OFFLINE=skip to run the notebooks with the network" >&2
    exit 1
fi
