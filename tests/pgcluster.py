"""A throwaway PostgreSQL cluster for one test run.

Usage::

    cluster = PgCluster()
    url = cluster.start()   # None when no server can be had (tests then skip)
    ...
    cluster.stop()

* ``BOOKING_APP_TEST_PG_URL`` set: that server is used, nothing is started or stopped.
* ``BOOKING_APP_TEST_NO_PG=1``: behave as if no PostgreSQL binaries existed (start() returns None).
* Otherwise ``initdb``/``pg_ctl`` are looked up on PATH, then in ``/usr/lib/postgresql/*/bin``
  (newest version first). As root the server refuses to run, so initdb/pg_ctl run as the
  ``postgres`` user via ``runuser``.

The throwaway cluster authenticates like a real server (issue 14): the superuser ``postgres`` is
trusted on 127.0.0.1 / ::1 / the socket (the tests' superuser URL), every other user needs a SCRAM
password. It also speaks TLS: a small CA and a server certificate for ``localhost`` / ``127.0.0.1`` are
made with ``openssl`` in the cluster's temp dir; :attr:`PgCluster.ca_file` names the CA (None when
``openssl`` is missing or the server is not ours, e.g. ``BOOKING_APP_TEST_PG_URL``).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ENV_URL = "BOOKING_APP_TEST_PG_URL"
ENV_DISABLE = "BOOKING_APP_TEST_NO_PG"


class PgUnavailable(RuntimeError):
    """No PostgreSQL server binaries could be found (or they were disabled)."""


def _version_key(path: str) -> tuple[int, ...]:
    m = re.search(r"/postgresql/([0-9.]+)/bin", path)
    if not m:
        return (0,)
    return tuple(int(p) for p in m.group(1).split(".") if p.isdigit())


def find_pg_bindir() -> Path | None:
    """Directory holding both ``initdb`` and ``pg_ctl``, or None."""
    if os.environ.get(ENV_DISABLE, "").strip() not in ("", "0"):
        return None
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(os.path.realpath(initdb)).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key, reverse=True)
    for c in candidates:
        bindir = Path(c).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        self.url: str | None = None
        self.reason: str = ""
        self._bindir: Path | None = None
        self._tmpdir: Path | None = None
        self._datadir: Path | None = None
        self._owned = False  # did we start a server that stop() must stop?
        self.ca_file: Path | None = None  # the CA that signed the server's TLS certificate

    HBA = (
        "# Written by tests/pgcluster.py: like a real server, only the test superuser is trusted.\n"
        "local all postgres trust\n"
        "host  all postgres 127.0.0.1/32 trust\n"
        "host  all postgres ::1/128 trust\n"
        "local all all scram-sha-256\n"
        "host  all all 127.0.0.1/32 scram-sha-256\n"
        "host  all all ::1/128 scram-sha-256\n"
    )

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _as_root() -> bool:
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        if self._as_root():
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            args = [runuser, "-u", "postgres", "--", *args]
        return subprocess.run(
            args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw
        )

    def _make_certificates(self) -> bool:
        """A CA and a server certificate (localhost, 127.0.0.1, ::1) in the data dir; False without openssl."""
        openssl = shutil.which("openssl")
        if openssl is None or self._tmpdir is None or self._datadir is None:
            return False
        tls = self._tmpdir / "tls"
        tls.mkdir()
        ca_key, ca_crt = tls / "ca.key", tls / "ca.crt"
        srv_key, srv_csr, srv_crt = tls / "server.key", tls / "server.csr", tls / "server.crt"
        ext = tls / "server.ext"
        ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                       "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth\n")
        steps = [
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out",
             str(ca_crt), "-days", "3650", "-subj", "/CN=fukufuku test CA", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            [openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(srv_key), "-out", str(srv_csr),
             "-subj", "/CN=localhost"],
            [openssl, "x509", "-req", "-in", str(srv_csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
             "-CAcreateserial", "-out", str(srv_crt), "-days", "3650", "-extfile", str(ext)],
        ]
        try:
            for step in steps:
                subprocess.run(step, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except (subprocess.CalledProcessError, OSError):
            return False
        for name in ("server.crt", "server.key"):
            target = self._datadir / name
            shutil.copy(tls / name, target)
            os.chmod(target, 0o600)
            if self._as_root():
                shutil.chown(target, "postgres", "postgres")
        os.chmod(ca_crt, 0o644)
        os.chmod(tls, 0o755)
        self.ca_file = ca_crt
        return True

    # -- public ------------------------------------------------------------------------------
    def start(self) -> str | None:
        """Start (or reuse) a server; returns a SQLAlchemy URL or None with ``self.reason`` set."""
        env_url = os.environ.get(ENV_URL, "").strip()
        if env_url:
            self.url = env_url
            self.reason = f"using {ENV_URL}"
            return self.url

        self._bindir = find_pg_bindir()
        if self._bindir is None:
            if os.environ.get(ENV_DISABLE, "").strip() not in ("", "0"):
                self.reason = f"PostgreSQL disabled by {ENV_DISABLE}"
            else:
                self.reason = (
                    "PostgreSQL server binaries (initdb/pg_ctl) not found on PATH or in "
                    "/usr/lib/postgresql/*/bin; install the 'postgresql' package or set " + ENV_URL
                )
            return None
        if self._as_root():
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                self.reason = "running as root but there is no 'postgres' user to run the server as"
                return None

        # As root the server runs as 'postgres', which must be able to reach the dir: a TMPDIR
        # under /root would not do, so use /tmp then.
        tmp_parent = "/tmp" if self._as_root() and os.path.isdir("/tmp") else None
        self._tmpdir = Path(tempfile.mkdtemp(prefix="booking-pg-", dir=tmp_parent))
        self._datadir = self._tmpdir / "data"
        sockdir = self._tmpdir / "sock"
        sockdir.mkdir()
        logfile = self._tmpdir / "server.log"
        if self._as_root():
            # mkdtemp makes the dir 0700 root-owned; hand the whole tree to postgres.
            for p in (self._tmpdir, sockdir):
                shutil.chown(p, "postgres", "postgres")
        initdb = str(self._bindir / "initdb")
        pg_ctl = str(self._bindir / "pg_ctl")
        try:
            self._run(
                [initdb, "-D", str(self._datadir), "-A", "trust", "-U", "postgres",
                 "--encoding=UTF8", "--locale=C", "--no-sync"]
            )
        except subprocess.CalledProcessError as e:
            self.reason = f"initdb failed: {e.stdout.strip()[-2000:]}"
            self._cleanup_dir()
            return None
        hba = self._datadir / "pg_hba.conf"
        hba.write_text(self.HBA)
        if self._as_root():
            shutil.chown(hba, "postgres", "postgres")
        ssl_opts = " -c ssl=on" if self._make_certificates() else ""

        last_error = ""
        for _attempt in range(3):  # the free port can be stolen between pick and bind: retry
            port = _free_port()
            opts = (
                f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off -c max_connections=100"
                " -c password_encryption=scram-sha-256" + ssl_opts
            )
            try:
                self._run([pg_ctl, "-D", str(self._datadir), "-l", str(logfile), "-w", "-t", "60",
                           "-o", opts, "start"])
            except subprocess.CalledProcessError as e:
                log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
                last_error = f"{e.stdout.strip()}\n{log}"
                continue
            self._owned = True
            self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
            self.reason = f"throwaway cluster in {self._tmpdir} (PostgreSQL from {self._bindir})"
            return self.url
        self.reason = f"pg_ctl start failed: {last_error.strip()}"
        self._cleanup_dir()
        return None

    def stop(self) -> None:
        if self._owned and self._bindir and self._datadir:
            try:
                self._run([str(self._bindir / "pg_ctl"), "-D", str(self._datadir), "-m", "immediate",
                           "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
            self._owned = False
        self._cleanup_dir()

    def _cleanup_dir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self._datadir = None
            self.ca_file = None


def start() -> PgCluster:
    """Convenience: make a cluster and start it (check ``.url`` / ``.reason``)."""
    c = PgCluster()
    c.start()
    return c


if __name__ == "__main__":  # manual smoke test: python tests/pgcluster.py
    c = start()
    print(c.url, "-", c.reason, "- CA:", c.ca_file)
    c.stop()
