"""A loopback TCP proxy between Whistle and PostgreSQL that a test can cut and restore.

`cut()` does to Whistle what a crashed database server or a broken network does: every open
connection is closed at once (mid-transaction or idle in the pool) and new connections are
refused. `restore()` listens again on the same port, so the store URL stays the same and the
engine's pool must notice by itself (pool_pre_ping) that its old connections are gone.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"


class TcpProxy:
    """Forward 127.0.0.1:<port> to an upstream address, byte for byte, until cut."""

    def __init__(self, upstream: tuple[str, int] = (LOOPBACK, 5432)) -> None:
        self.upstream = upstream
        self.port = 0
        self.connections = 0  # accepted over the proxy's life: shows the pool reconnected
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> Self:
        """Listen (on the previous port after a cut) and forward every connection."""
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()
        return self

    restore = start

    def cut(self) -> None:
        """Refuse new connections and close every open one, in both directions, now."""
        listener, self._listener = self._listener, None
        if self._acceptor is not None:  # it polls the listener: let go of it before closing
            self._acceptor.join(timeout=5)
            self._acceptor = None
        if listener is not None:
            listener.close()
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            try:  # reset, not a polite close: nothing lingers on the port, as after a crash
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    client.close()
                    server.close()
                    return
                self._open |= {client, server}
                self.connections += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:  # one side ended: end the other too, as a real broken connection would
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open -= {source, target}
            source.close()
            target.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cut()
