"""The embedded (SQLite) search's near-miss function, registered on every SQLite connection.

`craftads_near_word(word, text)` answers the best difflib ratio between `word` and any word
of `text` (0..1), so the gallery's one query can keep templates whose text has a word close
to a misspelt one ("piza" → "pizza"). PostgreSQL uses pg_trgm instead.
"""

import difflib
import re

WORDS = re.compile(r"[^\W_]+")
FUNCTION_NAME = "craftads_near_word"


def near_word(word: str | None, text: str | None) -> float:
    if not word or not text:
        return 0.0
    word = word.lower()
    best = 0.0
    matcher = difflib.SequenceMatcher(b=word, autojunk=False)
    for candidate in set(WORDS.findall(text.lower())):
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best


def register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION_NAME, 2, near_word, deterministic=True)
