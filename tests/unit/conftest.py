from __future__ import annotations

from pathlib import Path

import pytest

from svckit import testing
from svckit.pki import PkiPaths


@pytest.fixture
def pki(tmp_path: Path) -> PkiPaths:
    """A throwaway CA with every service certificate and the admin `admin`."""
    return testing.make_pki(tmp_path / "pki")
