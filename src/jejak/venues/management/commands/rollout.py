import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.core.exports import to_csv, to_xlsx
from jejak.regions.models import Region
from jejak.venues.rollout import compute_rollout


class Command(BaseCommand):
    help = "QR codes per sector at each registration stage (the founding article's table)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help="Kemendagri code, e.g. 36.71 (default: everything)")
        parser.add_argument(
            "--format", choices=["table", "json", "csv", "xlsx"], default="table", dest="fmt"
        )
        parser.add_argument("--by", choices=["sector", "region"], default="sector")
        parser.add_argument("--out", help="write to this file (required for xlsx)")

    def handle(
        self, *args: Any, region: str | None, fmt: str, by: str, out: str | None, **_: Any
    ) -> None:
        area = None
        if region:
            area = Region.objects.filter(code=region).first()
            if area is None:
                raise CommandError(f"Unknown region code {region!r}.")
        data = compute_rollout(region=area)
        headers, rows = data.table(by=by)
        if fmt == "xlsx":
            if not out:
                raise CommandError("--format xlsx needs --out FILE.xlsx")
            with open(out, "wb") as fh:
                fh.write(to_xlsx(headers, rows, title="Rollout"))
            return
        if fmt == "json":
            text = json.dumps(data.as_json(), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "csv":
            text = to_csv(headers, rows)
        else:
            text = _table(headers, rows)
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(v) for v in row] for row in rows]]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                str(v).ljust(w) if i < 2 else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
