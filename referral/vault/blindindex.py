"""The blind index: duplicate detection across reception centres without
plaintext search (a keyed HMAC of the normalised name and date of birth)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from referral.vault.keyfile import keyring

# Letters with no Unicode decomposition that people write without their mark.
_LATIN_FOLD = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ĸ": "k",
        "ŀ": "l",
    }
)
_ARABIC_FOLD = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef (أ إ آ lose their marks below)
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # Farsi yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u0640": None,  # tatweel (kashida)
    }
)
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´", None))
_ASCII_APOSTROPHES = re.compile("['`]")
_ASCII_SEPARATORS = re.compile("[^a-z0-9]+")
_DROPPED = frozenset({"Mn", "Cf"})  # combining marks; ZWJ, ZWNJ, direction marks


def normalise_name(text: str) -> list[str]:
    """The name's tokens, normalised so spellings a person or a clerk may
    vary compare equal; see `identity_string` for the rules."""
    text = text or ""
    if text.isascii():
        text = _ASCII_APOSTROPHES.sub("", text.lower())
        return _ASCII_SEPARATORS.sub(" ", text).split()
    # casefold can bring new combining marks (the dot of İ): decompose again.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    text = text.translate(_LATIN_FOLD).translate(_ARABIC_FOLD).translate(_APOSTROPHES)
    # Every other mark, symbol or separator splits tokens (Jean-Pierre).
    text = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    return text.split()


def identity_string(
    *, family_name: str, given_names: str, date_of_birth: date | None
) -> str | None:
    """The canonical text the blind index is computed over, or None when there
    is no name to match on.

    Rules: NFKD, drop combining marks (Latin diacritics; Cyrillic ё->е and
    й->и, because the breve and diaeresis are often dropped in handwriting,
    transliteration round-trips and foreign keyboards; Arabic harakat,
    tanwin, shadda, sukun, superscript alef, hamza above and below, so أ إ آ
    -> ا), drop format characters (ZWJ, ZWNJ, direction marks), casefold
    (ß -> ss, final sigma), fold ø đ ł ı æ œ etc., Arabic ٱ -> ا, ى -> ي,
    ی -> ي, ة -> ه, ک -> ك, drop tatweel and apostrophes, split on anything
    that is not a letter or digit, then sort the family and given name tokens
    together (name order and which field holds which name do not matter).
    Scripts are not transliterated: "Иванов" and "Ivanov" differ. An unknown
    date of birth is "?", matching only other unknown dates.
    """
    tokens = normalise_name(family_name) + normalise_name(given_names)
    if not tokens:
        return None
    dob = date_of_birth.isoformat() if date_of_birth is not None else "?"
    return "v1\x1f" + " ".join(sorted(tokens)) + "\x1f" + dob


def blind_index(
    *, family_name: str, given_names: str, date_of_birth: date | None
) -> str | None:
    """HMAC-SHA256 (the blind-index key) of `identity_string`, as hex."""
    text = identity_string(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    if text is None:
        return None
    key = keyring().blind_index_key
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
