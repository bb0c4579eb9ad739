"""A small, fast LaTeX-to-Unicode decoder for the fields matching needs (title, author)."""

from __future__ import annotations

import re
import unicodedata

# accent command -> combining character; applied to the following letter, then NFC-composed
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "i",
    "j": "j",
    "dh": "ð",
    "th": "þ",
    "textendash": "–",
    "textemdash": "—",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "ldots": "…",
    "dots": "…",
    "textregistered": "®",
    "texttrademark": "™",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "sigma": "σ",
    "tau": "τ",
    "theta": "θ",
    "times": "×",
}
_ESCAPES = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": " ",
}

# \"{o}  \"o  {\"o}  \'{\i}  \c c  (a control-word accent such as \u or \v needs a space or brace)
_ACCENT_RE = re.compile(
    r"""\\(["'`^~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))"""
    r"""|\\([uvHckrdb])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+(\\?[A-Za-z]))"""
)
_WORD_RE = re.compile(r"\\([A-Za-z]+)\s*(?:\{\}\s?)?")
_ESC_RE = re.compile(r"\\([&%$#_{} ,])")
_BRACE = re.compile(r"(?<!\x00)[{}]")
_MATH_DOLLAR = re.compile(r"(?<!\x00)\$")


def _accent(m: re.Match[str]) -> str:
    cmd = m.group(1) or m.group(4)
    letter = next(g for g in (m.group(2), m.group(3), m.group(5), m.group(6)) if g)
    letter = _SYMBOLS.get(letter[1:], letter[1:]) if letter.startswith("\\") else letter
    return unicodedata.normalize("NFC", letter + _ACCENTS[cmd])


def _word(m: re.Match[str]) -> str:
    # unknown commands (\textit, \emph, \mathrm, \url...) vanish and leave their braced argument
    return _SYMBOLS.get(m.group(1), "")


def decode(text: str, keep_braces: bool = False) -> str:
    """Decode accents, symbols and escapes; drop formatting commands, math dollars and braces."""
    if "\\" in text:
        text = _ACCENT_RE.sub(_accent, text)
        # escaped braces and dollars are marked so that brace and math-dollar removal spare them
        text = _ESC_RE.sub(
            lambda m: "\x00" + m.group(1) if m.group(1) in "{}$" else _ESCAPES[m.group(1)], text
        )
        text = _WORD_RE.sub(_word, text)
    if "$" in text:
        text = _MATH_DOLLAR.sub("", text)
    text = text.replace("---", "—").replace("--", "–").replace("``", "“").replace("''", "”")
    text = text.replace("~", " ")
    if not keep_braces:
        text = _BRACE.sub("", text)
    text = text.replace("\x00", "")
    return " ".join(text.split())


def fold_tokens(text: str) -> list[str]:
    """The words of fold(text)."""
    if text.isascii():
        return text.lower().translate(_ASCII).split()
    return fold(text).split()


def fold(text: str) -> str:
    """Lower-case ASCII, punctuation as single spaces: the form titles and names are compared in."""
    if text.isascii():  # the common case, far faster than the Unicode path
        return " ".join(text.lower().translate(_ASCII).split())
    # braces protect case in BibTeX; they never separate words
    text = unicodedata.normalize("NFKD", text.translate(_FOLD).replace("{", "").replace("}", ""))
    # combining accents vanish; any other non-ASCII character (dashes, quotes) separates words
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(_NON_ALNUM.sub(" ", text).split())


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# ASCII punctuation -> space; braces (BibTeX case protection) vanish
_ASCII = {c: " " for c in range(128) if not chr(c).isalnum()} | {ord("{"): None, ord("}"): None}


# letters NFKD does not decompose
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "ð": "d",
        "þ": "th",
        "đ": "d",
        "Đ": "D",
    }
)
