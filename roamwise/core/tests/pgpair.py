"""A PostgreSQL primary and its streaming replica on loopback, for one test module.

Made from the machine's PostgreSQL binaries (Debian's ``postgresql``) in a
folder of their own: ``initdb`` a primary on a free port with replication
allowed in its ``pg_hba.conf``, ``pg_basebackup -R`` a copy, start that copy
as a hot standby on another free port. The machine's own server is not used.
``initdb`` and ``postgres`` refuse to run as root: as root they run as the
``postgres`` user, in a folder it owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding every binary needed."""
    found = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        if all((folder / name).is_file() for name in NEEDED):
            try:
                found.append((int(folder.parent.name), folder))
            except ValueError:
                continue
    return max(found)[1] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Pair:
    folder: Path
    bin: Path
    primary_port: int
    replica_port: int
    run_as: str | None  # the OS user the servers run as (None: this one)

    def url(self, port: int, database: str = "roamwise") -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, cwd=self.folder, timeout=60
        )

    def start(self, name: str, port: int) -> None:
        options = (
            f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40"
        )
        self.run(
            str(self.bin / "pg_ctl"),
            *("-D", str(self.folder / name), "-o", options, "-l", str(self.folder / f"{name}.log")),
            *("-w", "start"),
        )

    def sql(
        self,
        port: int,
        query: str | sql.Composed,
        params: tuple[object, ...] = (),
        *,
        database: str = "roamwise",
    ) -> list[tuple]:
        with psycopg.connect(self.url(port, database), autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def wait_replayed(self, timeout: float = 20) -> None:
        """Until the replica has replayed everything the primary has written."""
        target = self.sql(
            self.primary_port, "SELECT pg_current_wal_lsn()::text", database="postgres"
        )[0][0]
        deadline = time.monotonic() + timeout
        while True:
            (done,) = self.sql(
                self.replica_port,
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                (target,),
                database="postgres",
            )[0]
            if done:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up with the primary")
            time.sleep(0.05)

    def stop(self) -> None:
        for name in ("replica", "primary"):
            if (self.folder / name / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self.run(
                        *(str(self.bin / "pg_ctl"), "-D", str(self.folder / name)),
                        *("-m", "immediate", "stop"),
                    )
        shutil.rmtree(self.folder, ignore_errors=True)


def pair_start(bin_folder: Path) -> Pair:
    folder = Path(tempfile.mkdtemp(prefix="roamwise-replica-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres"
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o700)
    pair = Pair(folder, bin_folder, free_port(), free_port(), run_as)
    try:
        pair.run(
            str(bin_folder / "initdb"),
            *("-D", str(folder / "primary"), "-A", "trust", "-U", "postgres"),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        )
        hba = folder / "primary" / "pg_hba.conf"
        # The standby streams the primary's WAL as the postgres user over loopback.
        with hba.open("a") as lines:
            lines.write("host replication postgres 127.0.0.1/32 trust\n")
        pair.start("primary", pair.primary_port)
        pair.run(
            str(bin_folder / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres"),
            *("-D", str(folder / "replica"), "-R", "-X", "stream", "--no-sync"),
        )
        pair.start("replica", pair.replica_port)
        pair.sql(pair.primary_port, "CREATE DATABASE roamwise", database="postgres")
        pair.wait_replayed()
    except BaseException:
        pair.stop()
        raise
    return pair
