"""tools/offline.sh, which runs nbval with the network unreachable, isolates what it runs.

Inside, the only interface is the loopback and there is no route anywhere else, while the loopback
itself works (Jupyter kernels talk to their client through it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = ROOT / "tools" / "offline.sh"

PROBE = r"""
import socket
names = [n for _, n in socket.if_nameindex()]
routes = open("/proc/net/route").read().splitlines()[1:]
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=5)
peer, _ = server.accept()
client.sendall(b"ping")
print(names, len(routes), peer.recv(4).decode())
"""


def _namespaces_available() -> bool:
    for extra in ([], ["--map-root-user"]):
        ok = subprocess.run(["unshare", "--net", *extra, "true"], capture_output=True)
        if ok.returncode == 0:
            return True
    return False


@pytest.fixture(scope="module")
def offline():
    if not _namespaces_available():
        if os.environ.get("CI"):
            pytest.fail("no network namespace: the offline proof of the notebooks cannot run")
        pytest.skip("no network namespace on this machine (needs unshare and root/userns)")
    return OFFLINE


def test_only_the_loopback_is_left_and_it_works(offline):
    out = subprocess.run([str(offline), sys.executable, "-c", PROBE], capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0] == "offline: network namespace with loopback only"
    assert out[-1] == "['lo'] 0 ping"


def test_the_command_s_exit_status_is_kept(offline):
    done = subprocess.run([str(offline), sys.executable, "-c", "raise SystemExit(3)"],
                          capture_output=True, timeout=60)
    assert done.returncode == 3
