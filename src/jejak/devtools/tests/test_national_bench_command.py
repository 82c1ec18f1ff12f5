"""`jejak bench-national`'s refusals before it starts anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def test_a_dir_that_does_not_exist_is_refused_before_anything_starts(tmp_path: Path) -> None:
    missing = tmp_path / "not-made"
    with pytest.raises(CommandError, match="is not a folder: create it first"):
        call_command("bench_national", "--dir", str(missing), "--checkins", "1000")
    assert not missing.exists()
