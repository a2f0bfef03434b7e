"""Access to the seed documents beside the repository (../shared/seeds); CI always has them."""

from functools import cache
from pathlib import Path

from django.conf import settings

CARCASSONNE = "000_1d393093c933b2a1.txt"
BROCHURE = "001_78a9efdf112cd05a.txt"
CONFLUENCES = "002_e9dc27bbeb4aba5b.txt"
PRS_ARIEGE = "003_4693c211c99e4cd9.txt"
CPTS = "004_954aabb6f103aed8.txt"


def seed_path(name: str) -> Path:
    path = Path(settings.SEEDS_DIR) / name
    if not path.exists():
        raise FileNotFoundError(
            f"Seed document {path} is missing: set PILOTIS_SEEDS_DIR to the seeds folder."
        )
    return path


@cache
def seed_bytes(name: str) -> bytes:
    return seed_path(name).read_bytes()


@cache
def carcassonne_draft():
    from pilotis.importers.registry import parse_document

    return parse_document(seed_bytes(CARCASSONNE), CARCASSONNE)
