"""``python -m datasets preview <name>|all [--out FILE | --out-dir DIR] [--data-root DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datasets.preview import PREVIEWS, write_preview
from datasets.sources import MissingSourceError
from datasets.validation import InvalidParameterError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datasets", description="Dataset tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    preview = sub.add_parser("preview", help="write a labelled grid of samples of a generator")
    preview.add_argument("name", help=f"one of: all, {', '.join(PREVIEWS)}")
    preview.add_argument("--out", type=Path, help="PNG path (one generator); default <out-dir>/<name>.png")
    preview.add_argument("--out-dir", type=Path, default=Path("results/previews"))
    preview.add_argument("--data-root", default=None)
    args = parser.parse_args(argv)
    names = list(PREVIEWS) if args.name == "all" else [args.name]
    try:
        if any(n not in PREVIEWS for n in names):
            raise InvalidParameterError(f"preview {args.name!r} is unknown; choose one of: all, {', '.join(PREVIEWS)}")
        if args.out is not None and len(names) > 1:
            raise InvalidParameterError("--out names one file; use --out-dir with 'all'")
        for name in names:
            try:
                path = write_preview(name, args.out or args.out_dir / f"{name}.png", args.data_root)
            except MissingSourceError as error:
                if len(names) == 1:
                    raise
                print(f"skipped {name}: {error}", file=sys.stderr)  # an optional source missing: the rest go on
                continue
            print(f"wrote {path}")
    except InvalidParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
