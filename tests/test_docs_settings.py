"""The README documents every environment variable the settings read, and the demo's logins."""

import re
from pathlib import Path

import laufzettel.settings
from laufzettel.ops.demo_data import DEMO_PASSWORD, demo_logins

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETTINGS = Path(laufzettel.settings.__file__).read_text()


def environment_variables() -> set[str]:
    """Every ``env_str("NAME")``, ``env_bool(...)`` ... call in settings.py."""
    return set(re.findall(r"env_(?:str|bool|int|list|path)\(\s*[\"']([A-Z0-9_]+)[\"']", SETTINGS))


def test_the_settings_read_environment_variables() -> None:
    # Guards the pattern above: if it matched nothing, the next test would prove nothing.
    assert {"DATABASE_URL", "SECRET_KEY", "EMAIL_URL", "LAUFZETTEL_HOME"} <= environment_variables()


def test_every_environment_variable_is_documented() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", README))
    missing = sorted(environment_variables() - documented)
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_every_email_url_scheme_is_documented() -> None:
    from laufzettel.lib.email_url import _BACKENDS

    for scheme in _BACKENDS:
        assert f"`{scheme}://" in README, scheme


def test_the_two_commands_and_the_demo_logins_are_in_the_readme() -> None:
    assert "uv run laufzettel demo" in README
    assert "uv run pytest" in README
    assert DEMO_PASSWORD in README
    for login in demo_logins():
        assert f"`{login.username}`" in README, login.username
