"""Where the shared corpus of recorded AWS outputs is: ../shared/corpus/ beside the checkout (or beside
the folder holding a git worktree of it). Tests read it in place and skip only when it is absent."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus")
               if p.is_dir()), ROOT.parent / "shared" / "corpus")
CLOUDTRAIL = CORPUS / "cloudtrail"
IAM = CORPUS / "iam-realshape"
