"""Moved to ``common.vntext``; this name stays until the imports are moved (issue 23)."""

from common.vntext import *  # noqa: F403
from common.vntext import (  # noqa: F401
    SORT_KEY_LENGTH,
    after_prefix,
    fold,
    name_sort_floor,
    name_sort_key,
    normalize_spaces,
    phrase_sort_key,
)
