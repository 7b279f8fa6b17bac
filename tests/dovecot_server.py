"""A real Dovecot IMAP server in a temporary folder, on a free loopback port, for one test."""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
USER, PASSWORD = "support", "Geheim-123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def binary() -> str | None:
        return shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
        )

    def start(self) -> None:
        binary = self.binary()
        assert binary
        if os.geteuid() == 0:
            # Dovecot refuses to touch mail as root: mail and login processes run as nobody.
            login_user, mail_user, mail_group = (
                "nobody",
                "nobody",
                grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name,
            )
        else:
            me = pwd.getpwuid(os.geteuid())
            login_user = mail_user = me.pw_name
            mail_group = grp.getgrgid(me.pw_gid).gr_name
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "home").chmod(0o777)
        self.dir.chmod(0o755)
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.dir / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                dir=self.dir,
                port=self.port,
                login_user=login_user,
                mail_user=mail_user,
                mail_group=mail_group,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                try:
                    code = self.process.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    continue
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"dovecot exited ({code}): {output}{self.log()}") from None
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
