"""A throwaway Dovecot IMAP server for tests: `dovecot -F -c <conf>` in a temporary folder,
one passwd-file user whose maildir is owned by `nobody`, IMAPS on a free 127.0.0.1 port with a
throwaway self-signed certificate.

`start_server()` returns a running `Dovecot`, or raises `DovecotUnavailable` with the reason;
tests skip on that unless AGENT_RUNTIME_TEST_REQUIRE_DOVECOT=1 (CI sets it), then they fail."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from svckit import testing

REQUIRE_ENV = "AGENT_RUNTIME_TEST_REQUIRE_DOVECOT"
USER, PASSWORD = "alice", "wonderland"


class DovecotUnavailable(RuntimeError):
    pass


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false")


CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%u
}}
mail_location = maildir:~/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{extra}
"""


@dataclass
class Dovecot:
    host: str
    port: int
    username: str
    password: str
    folder: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _certificate(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def up() -> bool:
        if process.poll() is not None:
            text = log.read_text() if log.exists() else ""
            raise DovecotUnavailable(f"dovecot exited ({process.returncode}): {text[-400:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    testing.poll(up, "dovecot listening", deadline=20, every=0.05)


def start_server(*, idle: bool = True) -> Dovecot:
    """Dovecot with one user; `idle=False` leaves IDLE out of its capabilities."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        raise DovecotUnavailable("dovecot not installed (Debian package dovecot-imapd)")
    if os.geteuid() != 0:
        raise DovecotUnavailable("dovecot tests run as root (mail processes run as nobody)")
    folder = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    folder.chmod(0o755)
    home = folder / "home" / USER
    home.mkdir(parents=True)
    shutil.chown(home, "nobody", "nogroup")
    _certificate(folder)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = testing.free_port()
    extra = "" if idle else "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE"
    conf = folder / "dovecot.conf"
    conf.write_text(CONF.format(d=folder, port=port, extra=extra))
    log = folder / "dovecot.log"
    process = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _listening(port, process, log)
    except BaseException:
        process.kill()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Dovecot("127.0.0.1", port, USER, PASSWORD, folder, process)
