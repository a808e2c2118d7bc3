"""Escaping user text for Streamlit's Markdown (playground.ui.text)."""

import pytest

from playground.ui.text import JOINER, MAX_CHARS, code, literal
from tests.ui.conftest import HOSTILE, shown_text

CONSTRUCTS = [
    "[Click here to log in](http://example.com/phish)",  # a link
    "![x](http://example.com/x.png)",  # an image
    "<b>bold</b> <img src=x onerror=alert(1)> &amp; &lt;",  # tags and entities
    "__import__ and *star* and ~~strike~~ ~one~",  # emphasis, strikethrough
    ":red[red] :blue-background[bg] :material/home: :smile: :streamlit:",  # directives, icons, emoji
    "$x^2$ and $$y$$",  # math
    "http://example.com www.example.com mail@example.com <http://example.com>",  # addresses
    "# heading\n- item\n+ item\n* item\n1. one\n2) two\n> quote\n---\n===\n| a | b |\n|---|---|\n``` fence",
    "a`b``c` \\*x\\* [^1] trailing\\",  # code spans, backslashes, a footnote
    HOSTILE,
]


@pytest.mark.parametrize("text", CONSTRUCTS)
def test_every_construct_is_shown_as_written(text):
    assert shown_text(literal(text)) == "\n".join(line.lstrip() for line in text.split("\n"))


def test_plain_prose_stays_readable():
    message = "Ignored data.dataset='spiral2': n_heads must be 4; see the 'x' column (3 rows)."
    assert literal(message) == message  # nothing here starts a construct
    assert literal("__import__") == r"\_\_import\_\_"
    assert literal("[a](b)") == r"\[a\](b)"
    assert literal("see http://x.org") == f"see http:{JOINER}//x.org"


def test_bidirectional_controls_show_as_escapes_and_reorder_nothing():
    name = "invoice\u202egpj.csv"  # shows as "invoicevsc.jpg" where the control acts
    assert shown_text(literal(name)) == "invoice\\u202egpj.csv"
    assert code("a\u2066b") == "`a\\u2066b`"


def test_four_leading_spaces_make_no_code_block():
    assert literal("    indented\n    again") == "indented  \nagain"


def test_a_long_text_loses_its_middle_and_says_how_much():
    value = "x" * 30_000
    shown = literal(f"Ignored data.dataset='{value}': not a dataset.")
    assert len(shown) < MAX_CHARS + 60 and "characters not shown" in shown
    left_out = len(value) + len("Ignored data.dataset='': not a dataset.") - MAX_CHARS
    assert f"({left_out:,} characters not shown)" in shown
    assert shown.startswith("Ignored data.dataset='xxx") and shown.endswith("': not a dataset.")  # the reason stays


def test_a_text_within_the_limit_is_kept_whole():
    assert literal("y" * MAX_CHARS) == "y" * MAX_CHARS


@pytest.mark.parametrize("text", ["9 8 7", "a`b", "``x", "x`", ":material/home: <b>x</b> [a](b)"])
def test_code_is_one_span_whatever_backticks_it_holds(text):
    span = code(text)
    fence = span[:len(span) - len(span.lstrip("`"))]
    body = span[len(fence):len(span) - len(fence)]
    assert span.endswith(fence) and fence not in body  # no run inside as long as the fence: the span cannot end early
    assert body.strip(" ").replace(JOINER, "") == text
    assert ":material/" not in body  # Streamlit rewrites it even inside code


def test_long_code_is_cut():
    span = code("7 " * 20_000)
    assert len(span) < MAX_CHARS + 80 and "characters not shown" in span
