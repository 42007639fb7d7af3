"""Vietnamese text helpers: accent-free search keys and the Vietnamese sort order of names.

Both are computed in Python and stored on the row (normalizing inside SQL is slow and differs
between SQLite and PostgreSQL; see DESIGN.md), so search and sort behave the same on both.
"""

import functools
import unicodedata

# The Vietnamese alphabet: đ is a letter of its own after d, ă and â after a, and so on.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}
# Tone marks rank after the base letter: none, huyền, hỏi, ngã, sắc, nặng (the dictionary order).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a letter of its own (ă â ê ô ơ ư), recomposed before ranking.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


# The stored key's length (Member.name_sort_key); longer keys are cut, which only blurs the
# order of names of more than ~100 letters.
SORT_KEY_LENGTH = 600


def normalize_spaces(text: str) -> str:
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower case, no accents, đ→d, single spaces: 'NGUYỄN Văn  Lý' → 'nguyen van ly'."""
    decomposed = unicodedata.normalize("NFD", normalize_spaces(text).lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


# Words repeat (names, units' names): a word's key is computed once per process.
@functools.lru_cache(maxsize=65_536)
def _word_key(word: str) -> str:
    """A key for one word: letters by alphabet rank, then the tones, as fixed-width digits."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONES:
            tones[-1:] = [_TONES[char]] if tones else []
            continue
        if char in _LETTER_MARKS and letters:
            # recompose the base letter with its mark (a + ̆ → ă) and re-rank it
            base = _ALPHABET[letters[-1]] if letters[-1] < len(_ALPHABET) else ""
            composed = unicodedata.normalize("NFC", base + char)
            letters[-1] = _RANK.get(composed, letters[-1])
            continue
        letters.append(_RANK.get(char, len(_ALPHABET) + ord(char) % 60))
        tones.append(0)
    # "!" sorts below the digits, so a word sorts before its own extensions ("an" < "anh")
    return "".join(f"{n:02d}" for n in letters) + "!" + "".join(str(t) for t in tones)


def after_prefix(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``, in code point order
    (UTF-8's byte order): its last character that has a next one, that next one; None when
    there is none (every string at or above ``prefix`` starts with it). 'nguyen thi' →
    'nguyen thj', so a prefix is a range: ``prefix <= s < after_prefix(prefix)``."""
    for end in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[end]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000  # surrogates are not characters: UTF-8 has no bytes for them
        if code <= 0x10FFFF:
            return prefix[:end] + chr(code)
    return None


def name_sort_key(full_name: str) -> str:
    """Vietnamese order: by given name (the last word), then family and middle names in order."""
    words = normalize_spaces(full_name).split(" ")
    if not words or words == [""]:
        return ""
    ordered = [words[-1], *words[:-1]]
    # Word by word, each word's letters then its tones (Anh < Ánh < Ba); space sorts lowest.
    # Only digits, "!" and spaces: SQLite's binary order and PostgreSQL's ICU order agree.
    return " ".join(_word_key(w) for w in ordered)[:SORT_KEY_LENGTH]


_PLAIN_WORD = set("abcdefghijklmnopqrstuvwxyz")


def name_sort_floor(folded_name: str) -> str:
    """The lowest ``name_sort_key`` that a name folding to ``folded_name`` can have: a bound
    from which a walk of the name order may start (``MemberName.sort_floor``).

    It is the key of the folded name itself: each accented letter ranks after its plain one
    (ă â after a, đ after d, ê after e, ô ơ after o, ư after u), a tone after none, and any
    other mark is ranked as a letter after every letter of the alphabet, so no accented
    spelling of a word has a lower key than its plain letters. Its words are taken in the
    key's order (the given name first) up to the first one that is not plain letters a-z,
    and none at all if the words are not cleanly spaced: a prefix of a key is never above it,
    so a bound that stops early is still a bound, only a looser one.
    """
    words = folded_name.split(" ")
    if not folded_name or "" in words:
        return ""
    plain = []
    for word in [words[-1], *words[:-1]]:
        if not set(word) <= _PLAIN_WORD:
            break
        plain.append(_word_key(word))
    return " ".join(plain)[:SORT_KEY_LENGTH]


def phrase_sort_key(text: str) -> list[str]:
    """Vietnamese order of a phrase read from its first word (a unit's name), not a person's
    name: word by word, as ``name_sort_key`` compares each word."""
    return [_word_key(w) for w in text.split()]
