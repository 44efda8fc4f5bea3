"""A throw-away Dovecot IMAP server: for `make up`'s mail demo and the mailbox tests.

Debian's ``dovecot-imapd`` started with its own configuration in a directory of
ours: plain-text logins from a password file, one maildir per user, IMAP on
127.0.0.1 only, no TLS. As root, mail belongs to the ``dovecot`` user; otherwise
everything runs as the current user. Never for production mailboxes.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

BINARY = "dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {internal}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal}
  }}
  unix_listener stats-writer {{
    user = {internal}
  }}
}}
"""


def available() -> bool:
    return shutil.which(BINARY) is not None


def start(root: Path, port: int, users: Mapping[str, str]) -> int:
    """Start Dovecot in the background; returns its master pid (stop it with ``stop``).

    As root, every directory above ``root`` must be open to the ``dovecot`` user.
    """
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(exist_ok=True)
    (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    if os.geteuid() == 0:
        internal = mail_user = "dovecot"
        os.chmod(root, 0o755)
        account = pwd.getpwnam(mail_user)
        os.chown(root / "mail", account.pw_uid, account.pw_gid)
    else:
        internal = mail_user = getpass.getuser()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root, port=port, internal=internal, mail_user=mail_user, mail_group=mail_user
        )
    )
    # The daemon keeps the descriptors it was started with: given ours, `make up | tee` would
    # wait for it to exit. Its own start-up messages go to a file beside its configuration.
    with (root / "dovecot.out").open("ab") as out:
        subprocess.run(
            [BINARY, "-c", str(root / "dovecot.conf")],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    pid_file = root / "run" / "master.pid"
    deadline = time.monotonic() + 15
    while (pid := written_pid(pid_file)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Dovecot wrote no pid to {pid_file}: see {root / 'dovecot.out'}")
        time.sleep(0.1)
    return pid


def written_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` once it is there in full: Dovecot creates the file before it
    writes the number, and a read in between found it empty (a CI failure)."""
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def stop(root: Path) -> None:
    subprocess.run(
        [BINARY, "-c", str(root / "dovecot.conf"), "stop"], check=False, capture_output=True
    )
