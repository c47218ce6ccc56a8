"""A local notice inbox for the demo: an HTTP receiver on loopback that files every notice.

The sample channels point at it (json://127.0.0.1:8765/inbox/{recipient}), so a district trying
Whistle out sees each notice as a file under <home>/inbox/ before it wires real channels.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from service.private import append_private, private_folder


class _Handler(BaseHTTPRequestHandler):
    server: Inbox

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1_000_000))
        try:
            payload: Any = json.loads(raw or b"{}")
        except ValueError:
            payload = {"raw": raw.decode("utf-8", "replace")}
        url = urlparse(self.path)
        parts = [p for p in url.path.split("/") if p]
        box = parts[-1] if len(parts) > 1 else "citizen"
        if parts and parts[0] == "sms":
            box = "citizen"
            payload.pop("to", None)  # the phone number stays in the store, not in files
            payload.update({k: v for k, v in parse_qs(url.query).items() if k != "to"})
        self.server.file(box, payload)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class Inbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path, port: int = 8765) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.folder = folder
        self.count = 0
        self._lock = threading.Lock()
        private_folder(folder)  # notices to citizens carry their names and feedback links

    def file(self, box: str, payload: Any) -> None:
        """Append one notice to the recipient's file."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self.count += 1
            with append_private(self.folder / f"{box}.log") as out:
                text = f"--- {stamp}\n{payload.get('title', '')}\n{payload.get('message', '')}\n"
                out.write(text.encode("utf-8"))

    def start(self) -> Inbox:
        threading.Thread(target=self.serve_forever, name="whistle-inbox", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
