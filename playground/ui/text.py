"""Text from users and from the engine, made safe to show in Streamlit's Markdown.

Streamlit renders the text of st.warning, st.error, st.info, st.caption, st.markdown and of widget labels as
GitHub-flavoured Markdown with extensions: links, images, raw HTML tags (dropped), `:red[...]` directives,
`:material/...:` icons, `:emoji:` short codes, `$...$` math, and links made from bare addresses (http://...,
www...., name@host). A value a user wrote (a link parameter, a file or column name, a table cell, typed text)
must show as written, so every message that may hold one goes through `literal` once, where it is shown; the
page's own markup (bold, code) stays outside it. Engine messages quote values plainly (repr-like quotes).

Escaping has two parts: a backslash before each character that starts a Markdown construct (CommonMark lets any
ASCII punctuation be escaped and shows it as written), and a word joiner (U+2060, invisible) after a ":" or "@"
that a word follows and inside "www.": Streamlit finds icons, emoji and bare addresses in the parsed text, where
a backslash is already gone.
Bidirectional controls, which would reorder the text on screen, are shown as escapes, as Python writes them.
"""

from __future__ import annotations

import re

MAX_CHARS = 1_000  # characters of one message shown; the middle of a longer one is cut
TAIL_CHARS = 250  # characters kept from its end: a message's reason often follows the value that made it long
JOINER = "\u2060"  # WORD JOINER: no width, no line break

_ALWAYS = re.compile(r"([\\`*\[\]<>|~$&])")  # these start a construct wherever they stand
_LINE_START = re.compile(r"^([#>+=*-]|\d+[.)])", re.MULTILINE)  # headings, quotes, lists, rules, setext lines
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # "_" not between two letters or digits can emphasise
# Bidirectional controls reorder the text around them on screen ("evil\u202egpj.csv" shows as "evilvsc.jpg"):
# shown as escapes, as Python writes them
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TEXT_TRIGGERS = re.compile(r"([:@])(?=\S)|(?i:(?<![^\W_])(www))(?=\.)")


def cut(text: str, limit: int = MAX_CHARS) -> tuple[str, int, str]:
    """`text` as (head, number of characters left out, tail), together at most `limit` characters;
    (text, 0, "") when it fits."""
    if len(text) <= limit:
        return text, 0, ""
    tail = min(TAIL_CHARS, limit // 4)
    head = limit - tail
    return text[:head], len(text) - limit, text[len(text) - tail:] if tail else ""


def _visible(text: str) -> str:
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape(text: str) -> str:
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _TEXT_TRIGGERS.sub(lambda m: (m.group(1) or m.group(2)) + JOINER, text)
    lines = [line.lstrip() for line in text.split("\n")]  # four leading spaces would make a code block
    return "  \n".join(_LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1)[0] in "#>+=*-"
                                        else m.group(1)[:-1] + "\\" + m.group(1)[-1], line) for line in lines)


def literal(text: object, limit: int = MAX_CHARS) -> str:
    """`text` (str() of it) as Markdown that Streamlit shows as written: no link, image, tag, emphasis, icon,
    colour, math or heading comes out of it; line breaks stay line breaks. A text longer than `limit` characters
    loses its middle, replaced by a note of how many characters were left out."""
    plain = _visible(re.sub(r"\r\n?", "\n", str(text)).strip())
    head, left_out, tail = cut(plain, limit)
    if not left_out:
        return _escape(head)
    return f"{_escape(head)} … ({left_out:,} characters not shown) … {_escape(tail)}"


def code(text: object, limit: int = MAX_CHARS) -> str:
    """`text` as inline code (monospace, shown as written), cut as `literal` cuts; line breaks become spaces."""
    head, left_out, tail = cut(_visible(re.sub(r"\s*[\r\n]+\s*", " ", str(text))), limit)
    if left_out:
        return f"{code(head, limit)} … ({left_out:,} characters not shown) … {code(tail, limit)}"
    # Streamlit turns ":material/" into ":material_" before parsing, also inside code: a joiner stops that.
    body = head.replace(":material/", ":" + JOINER + "material/")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)  # longer than any run inside
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"
