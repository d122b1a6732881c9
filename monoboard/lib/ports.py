"""Pick loopback ports for servers that tests and scripts start."""

from __future__ import annotations

import random
import socket

# Below the kernel's ephemeral range (32768+), where a client socket may
# already hold the port; above the well-known and commonly used ones.
PORT_RANGE = (20000, 32000)


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on right now."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)  # noqa: S311  (not security relevant)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE} on {host}")


def wait_for_port(host: str, port: int, *, timeout: float = 10.0) -> None:
    """Block until something accepts connections on host:port, or raise."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout:.0f}s")
