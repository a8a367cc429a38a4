import subprocess
import sys
from pathlib import Path

import psycopg

from src.db.embedded import start_embedded
from tests.conftest import ROOT


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def test_embedded_server_is_reused_by_a_second_process_and_keeps_data(tmp_path: Path):
    server = start_embedded(tmp_path, database="reuse")
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute("create table kept (note text)")
            conn.execute("insert into kept values ('survives')")
        pid = postmaster_pid(server.pgdata)

        script = (
            "from pathlib import Path; from src.db.embedded import start_embedded; "
            f"s = start_embedded(Path({str(tmp_path)!r}), database='reuse'); "
            "import psycopg; c = psycopg.connect(s.admin_url); "
            "print(c.execute('select note from kept').fetchone()[0])"
        )
        second = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "survives"
        # Same server process, and still running after the second process exited.
        assert postmaster_pid(server.pgdata) == pid
        with psycopg.connect(server.admin_url) as conn:
            assert conn.execute("select count(*) from kept").fetchone() == (1,)

        server.stop()
        assert not (server.pgdata / "postmaster.pid").exists()
        restarted = server.start()
        assert postmaster_pid(restarted.pgdata) != pid
        with psycopg.connect(restarted.admin_url) as conn:
            assert conn.execute("select note from kept").fetchone() == ("survives",)
    finally:
        server.stop()
