"""Back up and restore the whole database, for `manage.py backup` and `manage.py restore`.

SQLite: SQLite's online backup API through Django's own connection, so a database in use (or the
in-memory test database) is copied consistently. PostgreSQL: `pg_dump --format=custom` and
`pg_restore --clean --if-exists --no-owner`, with the connection settings of the database
(the password goes through PGPASSWORD, never the command line). A file is written under a
temporary name and renamed when complete, so a failed backup never leaves half a file.
"""

import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.db import connections

# The first bytes of each kind of backup file: restore refuses a file of the other vendor.
MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}


class BackupError(Exception):
    """A backup or restore that could not be done; the message is one line."""


def _vendor(connection) -> str:
    if connection.vendor not in MAGIC:
        raise BackupError(f"unsupported database vendor {connection.vendor!r}")
    return connection.vendor


def _partial(path: Path) -> Path:
    if not path.parent.is_dir():
        raise BackupError(f"no directory for {str(path)!r}")
    return path.with_name(f".{path.name}.partial")


def backup(path: Path, *, using: str = "default") -> str:
    """Write a backup of database ``using`` to ``path``; returns the vendor."""
    connection = connections[using]
    vendor = _vendor(connection)
    partial = _partial(path)
    try:
        if vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
                # The copy of a database in WAL mode is in WAL mode too; back to a rollback
                # journal, so that the backup is one self-contained file, which opens (to
                # restore it, read-only) without creating -wal and -shm files beside it.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        else:
            _run_pg("pg_dump", connection, "--format=custom", f"--file={partial}")
        private(partial)  # a backup holds every member's record
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return vendor


def restore(path: Path, *, force: bool = False, using: str = "default") -> str:
    """Replace database ``using`` with the backup in ``path``; returns the vendor.

    Refuses a database that already has tables unless ``force``.
    """
    connection = connections[using]
    vendor = _vendor(connection)
    if not path.is_file():
        raise BackupError(f"no backup file {str(path)!r}")
    with path.open("rb") as f:
        head = f.read(16)
    if not head.startswith(MAGIC[vendor]):
        other = next((v for v, magic in MAGIC.items() if head.startswith(magic)), None)
        found = f"a {other} backup" if other else "not a backup this tool wrote"
        raise BackupError(f"{str(path)!r} is {found}; the database is {vendor}")
    if connection.in_atomic_block:
        raise BackupError("cannot restore inside a transaction")
    if not force and connection.introspection.table_names():
        raise BackupError(
            f"the database {connection.settings_dict['NAME']!s} is not empty; "
            "use --force to replace it"
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"cannot restore {str(path)!r}: {error}") from None
        finally:
            source.close()
    else:
        connection.close()
        _run_pg(
            "pg_restore",
            connection,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(path),
        )
    connection.close()
    return vendor


def _run_pg(program: str, connection, *args: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} not found (install the PostgreSQL client)")
    settings = connection.settings_dict
    command = [executable, f"--dbname={settings['NAME']}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command.append(f"{option}={settings[key]}")
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    result = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{program} failed: {detail}")


# --- Encrypted, compressed, rotated backups (issue 29, "backups an office can trust") -------
#
# An encrypted backup is the plain one above (a SQLite file or a pg_dump archive), compressed
# with gzip and sealed with Fernet (the `cryptography` library: AES-128-CBC and HMAC-SHA256,
# so a wrong key or a changed byte is refused, never restored) under a key file the office
# keeps apart from the backups. Layout: a first line ``THOTNOT-BACKUP 1``, a second line of
# JSON in the clear (the key's fingerprint, the app version, the vendor, the time: restore
# says which key a file wants before trying it), then the Fernet token, which seals that JSON
# again with the data, so the header cannot be changed unseen. Fernet works in memory: about
# three times the compressed backup is needed while writing or restoring.

ENCRYPTED_MAGIC = b"THOTNOT-BACKUP 1\n"
ROTATED_NAME = "thotnot-{stamp}.backup"  # in a backup folder, the files rotation may delete
_ROTATED = re.compile(r"thotnot-\d{8}-\d{6}\.backup")


def make_key(path: Path) -> None:
    """Write a new key file (readable by its owner alone); refuses to replace one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{str(path)!r} exists; a key is never replaced") from None
    with os.fdopen(fd, "wb") as f:
        f.write(Fernet.generate_key() + b"\n")


def _load_key(path) -> tuple[Fernet, str]:
    try:
        key = Path(path).read_bytes().strip()
        fernet = Fernet(key)
    except OSError as error:
        raise BackupError(f"cannot read the key file {str(path)!r}: {error.strerror}") from None
    except ValueError:
        raise BackupError(
            f"{str(path)!r} is not a backup key (manage.py backup --make-key)"
        ) from None
    return fernet, hashlib.sha256(key).hexdigest()[:16]


def private(path: Path) -> None:
    """Readable and writable by the file's owner alone (the app's user)."""
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def secure_database_files(using: str = "default") -> list[Path]:
    """A SQLite database's file (and its -wal, -shm) made the app user's alone; the paths."""
    connection = connections[using]
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or "mode=memory" in name:
        return []
    files = [p for p in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")) if p.exists()]
    for path in files:
        private(path)
    return files


def backup_encrypted(path: Path, *, key_file, app_version: str, using: str = "default") -> str:
    """Write an encrypted, compressed backup of ``using`` to ``path`` (mode 0600)."""
    fernet, fingerprint = _load_key(key_file)
    _partial(path)  # the folder exists
    # The plain copy, for the moment it exists, in a folder only the app's user can enter.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as folder:
        vendor = backup(Path(folder) / "plain", using=using)
        data = (Path(folder) / "plain").read_bytes()
    header = json.dumps(
        {
            "key": fingerprint,
            "app_version": app_version,
            "vendor": vendor,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        },
        sort_keys=True,
    ).encode()
    token = fernet.encrypt(header + b"\n" + gzip.compress(data, compresslevel=6))
    partial = _partial(path)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(ENCRYPTED_MAGIC + header + b"\n" + token)
        private(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return vendor


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC


def read_header(path: Path) -> dict:
    with path.open("rb") as f:
        f.readline()
        return json.loads(f.readline())


def restore_encrypted(
    path: Path, *, key_file, app_version: str, force: bool = False, using: str = "default"
) -> dict:
    """Check the key and the app version, then restore; returns the backup's header.

    Refuses a file sealed with another key, a damaged file, and a backup of a newer app
    version than this one (its schema is ahead of the code); an older one is restored and
    needs ``migrate`` after."""
    fernet, fingerprint = _load_key(key_file)
    if not path.is_file():
        raise BackupError(f"no backup file {str(path)!r}")
    if not is_encrypted(path):
        raise BackupError(f"{str(path)!r} is not an encrypted backup")
    with path.open("rb") as f:
        f.readline()
        header_line = f.readline().rstrip(b"\n")
        token = f.read()
    header = json.loads(header_line)
    if header["key"] != fingerprint:
        raise BackupError(
            f"{str(path)!r} was sealed with another key (fingerprint {header['key']}; "
            f"this key's is {fingerprint})"
        )
    try:
        sealed_header, _, compressed = fernet.decrypt(token).partition(b"\n")
    except InvalidToken:
        raise BackupError(f"{str(path)!r} is damaged (its seal does not match)") from None
    if sealed_header != header_line:
        raise BackupError(f"{str(path)!r} is damaged (its header was changed)")
    if _version(header["app_version"]) > _version(app_version):
        raise BackupError(
            f"{str(path)!r} is from version {header['app_version']}, newer than this app's "
            f"{app_version}: install that version (or later) to restore it"
        )
    with tempfile.TemporaryDirectory(prefix="thotnot-restore-") as folder:
        plain = Path(folder) / "plain"
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(gzip.decompress(compressed))
        restore(plain, force=force, using=using)
    secure_database_files(using)
    return header


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def rotate(folder: Path, *, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest rotated backups in ``folder`` (their names sort by
    time); other files are never touched. Returns the deleted paths."""
    rotated = sorted(p for p in folder.iterdir() if _ROTATED.fullmatch(p.name))
    old = rotated[:-keep] if keep > 0 else rotated
    for path in old:
        path.unlink()
    return old


def rotated_path(folder: Path, now: datetime.datetime) -> Path:
    return folder / ROTATED_NAME.format(stamp=now.strftime("%Y%m%d-%H%M%S"))
