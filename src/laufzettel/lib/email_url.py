"""Turn an ``EMAIL_URL`` such as ``smtp+tls://user:pw@mail.example.com:587`` into settings."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: int = 30
    file_path: str = ""


def parse_email_url(url: str, *, default_file_path: Path) -> EmailConfig:
    """Parse ``scheme://[user[:password]@]host[:port][/path][?timeout=N]``.

    ``file:`` without a path writes to ``default_file_path`` (used by the demo).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _BACKENDS:
        raise ValueError(f"EMAIL_URL scheme {scheme!r} is not one of {sorted(_BACKENDS)}")
    query = parse_qs(parts.query)
    timeout = int(query.get("timeout", ["30"])[0])
    if scheme == "file":
        path = unquote(parts.path) if parts.path not in ("", "/") else str(default_file_path)
        return EmailConfig(backend=_BACKENDS[scheme], file_path=path)
    default_port = {"smtps": 465, "smtp+tls": 587}.get(scheme, 25)
    return EmailConfig(
        backend=_BACKENDS[scheme],
        host=parts.hostname or "localhost",
        port=parts.port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=scheme == "smtp+tls",
        use_ssl=scheme == "smtps",
        timeout=timeout,
    )
