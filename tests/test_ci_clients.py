"""CI runs the real-client tests: a missing client skips here, fails under CI=true.

``.ci/run`` installs the clients and sets CI=true; a run of the README's test
command elsewhere skips those tests, naming what is missing.
"""

from __future__ import annotations

import re

import pytest
from clients import ROOT, need


def test_a_missing_client_is_a_named_skip_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium .* is not installed here"):
        need(None, "Chromium (Debian package chromium)")
    assert need("/usr/bin/chromium", "Chromium") == "/usr/bin/chromium"


def test_a_missing_client_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: Datasette"):
        need(None, "Datasette")


def test_ci_installs_every_client_and_asks_for_them() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^export CI=true$", script, re.M)
    assert re.search(r"command -v chromium .*\|\| apt_install chromium", script)
    assert "apt-get update" in script and "@knight-lab/timelinejs@$TIMELINEJS_VERSION" in script
    assert "--no-package-lock" in script and "'.[test,datasette]'" in script
    assert "/.clients/" in (ROOT / ".gitignore").read_text("utf-8").split()
