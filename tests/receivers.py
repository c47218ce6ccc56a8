"""Real loopback receivers for notification tests.

Notices are checked against servers that speak the real protocols on 127.0.0.1, so a
test fails when the bytes on the wire are wrong, not only when a mock is called
differently. The classes here do not depend on pytest; tests/conftest.py wraps them.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"

_T = TypeVar("_T")

# Upper bound on how long a "hung" request is held when nobody releases it, so a
# forgotten hang() cannot keep a handler thread alive for the rest of the session.
_HANG_LIMIT = 30.0


def _free_port() -> int:
    """Ask the kernel for a currently unused loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_count(
    cond: threading.Condition, items: list[_T], count: int, timeout: float, what: str
) -> list[_T]:
    """Block on cond until items holds at least count entries; return a copy."""
    with cond:
        if not cond.wait_for(lambda: len(items) >= count, timeout=timeout):
            raise TimeoutError(
                f"expected at least {count} {what} within {timeout}s, got {len(items)}"
            )
        return list(items)


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the SMTP receiver saw it, already decoded."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    subject: str
    text: str | None
    html: str | None


class _RecordingHandler:
    """aiosmtpd handler that parses every DATA payload and hands it on."""

    def __init__(self, record: Callable[[ReceivedMail], None]) -> None:
        self._record = record

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._record(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
                message=message,
                subject=str(message.get("subject", "")),
                text=_part_content(message, "plain"),
                html=_part_content(message, "html"),
            )
        )
        return "250 Message accepted for delivery"


def _part_content(message: EmailMessage, subtype: str) -> str | None:
    """Decoded text of the first text/<subtype> part, with SMTP's CRLF turned into LF.

    get_content() undoes quoted-printable/base64 and the declared charset.
    """
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


class SmtpReceiver:
    """An aiosmtpd server on a free loopback port that records every message."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self._cond = threading.Condition()
        self._controller: Controller | None = None
        self.port = 0

    def _record(self, mail: ReceivedMail) -> None:
        with self._cond:
            self.messages.append(mail)
            self._cond.notify_all()

    def start(self) -> Self:
        """Start listening; retries if the chosen free port was taken meanwhile."""
        if self._controller is not None:
            return self
        last_error: Exception | None = None
        for _ in range(5):
            port = self.port or _free_port()
            controller = Controller(_RecordingHandler(self._record), hostname=LOOPBACK, port=port)
            try:
                controller.start()
            except Exception as exc:  # port race: try another one
                last_error = exc
                if self.port:
                    break
                continue
            self._controller = controller
            self.port = port
            return self
        raise RuntimeError(f"SMTP receiver could not start: {last_error}")

    def stop(self) -> None:
        """Stop the server thread; safe to call twice."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def url(self, to: str = "dept@example.org", sender: str = "whistle@example.org") -> str:
        """An Apprise mailto:// URL delivering here in plain SMTP, without auth.

        The host part only names the sender domain; smtp= picks the server and
        mode=insecure stops Apprise from upgrading to STARTTLS on its own.
        """
        if not self.port:
            raise RuntimeError("SMTP receiver is not started")
        return (
            f"mailto://{LOOPBACK}:{self.port}"
            f"?smtp={LOOPBACK}&mode=insecure"
            f"&from={quote(sender, safe='@')}&to={quote(to, safe='@')}"
        )

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until at least count messages arrived and return all of them."""
        return _wait_for_count(self._cond, self.messages, count, timeout, "messages")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class ReceivedRequest:
    """One POST as the HTTP receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = field(default=None)


class _Behaviour:
    """Mutable switches shared between the receiver and its handler threads."""

    def __init__(self) -> None:
        self.status = 200
        self.released = threading.Event()
        self.released.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: a hung handler must not block stop().
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], receiver: HttpReceiver) -> None:
        self.receiver = receiver
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client gave up on a hung request (broken pipe)."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        receiver._record(
            ReceivedRequest(
                path=self.path,
                headers=dict(self.headers.items()),
                body=body,
                json=parsed,
            )
        )
        behaviour = receiver._behaviour
        # A hang keeps the connection open without a byte of answer.
        behaviour.released.wait(_HANG_LIMIT)
        status = behaviour.status
        payload = b'{"ok": true}' if status < 400 else b'{"ok": false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class HttpReceiver:
    """A threaded HTTP server on a loopback port that records every POST.

    It answers 200 unless told otherwise: fail_with() picks another status,
    hang() holds requests open without answering, stop() takes it down and start()
    brings it back on the same port.
    """

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.port = 0
        self._cond = threading.Condition()
        self._behaviour = _Behaviour()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _record(self, request: ReceivedRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def start(self) -> Self:
        """Listen on a free port, or on the previous port after a stop()."""
        if self._server is not None:
            return self
        server = _Server((LOOPBACK, self.port), self)
        self.port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"http-receiver-{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Close the listening socket so new connections are refused."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        # Hung handlers answer (to nobody) and exit instead of lingering.
        self._behaviour.released.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5.0)

    def fail_with(self, status: int) -> None:
        """Answer every following request with this status until recover()."""
        self._behaviour.status = status

    def recover(self) -> None:
        """Answer 200 again."""
        self._behaviour.status = 200

    def hang(self) -> None:
        """Accept following requests but do not answer until release()."""
        self._behaviour.released.clear()

    def release(self) -> None:
        """Let hung and following requests be answered."""
        self._behaviour.released.set()

    def url(self, path: str = "/hook") -> str:
        """An Apprise json:// URL posting here."""
        if not self.port:
            raise RuntimeError("HTTP receiver is not started")
        return f"json://{LOOPBACK}:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Wait until at least count requests arrived and return all of them."""
        return _wait_for_count(self._cond, self.requests, count, timeout, "requests")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wire_channels(folder: Path, http: HttpReceiver, smtp: SmtpReceiver) -> None:
    """Point the sample district's channels at the loopback receivers: the center by email,
    every department by webhook (path names the recipient), the citizen by an SMS-like hook."""
    base = http.url("/").rstrip("/")
    (folder / "channels.yaml").write_text(
        "channels:\n"
        f'  - url: "{smtp.url(to="center@district.example")}"\n'
        "    to: [center]\n"
        f'  - url: "{base}/dept/{{recipient}}"\n'
        "    to: ['*']\n"
        "citizen:\n"
        f'  - "{base}/sms?:to={{phone}}"\n',
        encoding="utf-8",
    )
