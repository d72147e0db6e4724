from pathlib import Path

import pytest

from classifier.documents import Block, from_paragraphs, from_text
from classifier.errors import InvalidInput
from classifier.htmlblocks import decode_html, from_html

FIXTURES = Path(__file__).parent / "fixtures"


def texts(page: str | bytes) -> list[str]:
    return from_html(page).texts


def test_text_splits_on_blank_lines_and_joins_lines():
    document = from_text("First line\nsame paragraph\n\n  \n\nSecond\r\n\r\nThird  ")
    assert document.texts == ["First line same paragraph", "Second", "Third"]
    assert [block.index for block in document.blocks] == [0, 1, 2]


@pytest.mark.parametrize("text", [
    "One\r\rTwo", "One\r\n \r\nTwo", "One\u2029Two", "One\n\u00a0\nTwo", "One\n\u3000\nTwo",
    "\ufeffOne\n\nTwo"], ids=["old mac", "windows", "U+2029", "no-break space", "U+3000", "bom"])
def test_text_paragraphs_end_at_any_blank_line(text):
    assert from_text(text).texts == ["One", "Two"]


def test_paragraphs_are_kept_one_to_one_even_empty_or_multiline():
    given = ["one\n\ntwo", "", "  spaced  ", "x"]
    assert from_paragraphs(given).texts == given


def test_html_cuts_blocks_at_block_elements_and_keeps_inline_text_together():
    page = "<div>Intro <b>bold</b> <a href='#'>link</a> end<p>Para <em>one</em></p>tail</div>"
    assert texts(page) == ["Intro bold link end", "Para one", "tail"]


def test_html_drops_scripts_styles_and_hidden_elements():
    page = ("<body><script>var x = 1;</script><style>p{}</style><p>Seen</p>"
            "<p hidden>no</p><div style='display: none'>no</div><p aria-hidden='true'>no</p>"
            "<noscript>no</noscript><!-- comment --><p>Also seen</p></body>")
    assert texts(page) == ["Seen", "Also seen"]


def test_html_hidden_by_a_style_declaration_not_by_words_in_a_value():
    page = ("<p style='color: red; DISPLAY : none !important'>no</p>"
            "<p style='visibility:hidden'>no</p>"
            "<p style='--note: display:none'>custom property</p>"
            "<p style='display: nonesuch'>unknown value</p>")
    assert texts(page) == ["custom property", "unknown value"]


def test_html_blocks_carry_layout_facts():
    page = ("<body><nav class='mainMenu'><ul><li><a href='/'>Home</a></li></ul></nav>"
            "<article class='post-body'><p>Plain words and <a href='#'>a link</a></p></article>"
            "</body>")
    home, paragraph = from_html(page).blocks
    assert home.tag == "li" and home.link_density == 1.0
    assert {"in:nav", "c:main", "c:menu"} <= set(home.markup.split())
    assert paragraph.tag == "p" and 0 < paragraph.link_density < 1
    assert {"in:article", "c:post", "c:body", "t:p"} <= set(paragraph.markup.split())
    assert paragraph.depth > 1


def test_fixture_page_keeps_the_article_and_drops_hidden_text():
    blocks = texts((FIXTURES / "article.html").read_bytes())
    assert "River towns brace for a wetter spring" in blocks
    assert "Advertisement" in blocks
    assert not any("Hidden" in block or "Also hidden" in block for block in blocks)
    assert not any("tracking" in block for block in blocks)


def test_broken_markup_still_yields_text():
    assert texts("<div><p>Unclosed <b>bold<p>Next</div></span>") == ["Unclosed bold", "Next"]


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-1", "utf-8"])
def test_declared_charset_is_honoured(charset):
    page = f"<html><head><meta charset='{charset}'></head><body><p>Café crème</p></body></html>"
    assert texts(page.encode(charset)) == ["Café crème"]


@pytest.mark.parametrize(("charset", "page"), [
    # read as browsers do: a page that says UTF-16 in ASCII markup is not UTF-16 ...
    ("utf-16", b"<p>Hello, this is the article.</p>\n"),
    # ... and an iso-8859-1 page's curly quotes are cp1252's
    ("iso-8859-1", "<p>\u201cCaf\u00e9\u201d</p>".encode("cp1252")),
    # codecs that no web page means are not applied
    ("cp037", "<p>Caf\u00e9</p>".encode()),
    ("raw_unicode_escape", b"<p>\\u0041 stays</p>"),
    ("undefined", "<p>Caf\u00e9</p>".encode()),
])
def test_a_declared_charset_counts_as_browsers_count_it(charset, page):
    decoded = decode_html(f"<meta charset='{charset}'>".encode() + page)
    expected = page.decode("cp1252" if charset == "iso-8859-1" else "utf-8")
    assert decoded.endswith(expected)


@pytest.mark.parametrize(("label", "text", "codec"), [
    ("x-gbk", "中文新闻", "gbk"), ("iso-8859-8-i", "שלום עולם", "iso8859-8"),
    ("windows-949", "한국어 기사", "cp949"), ("x-mac-roman", "Café crème", "mac-roman"),
    ("dos-874", "ข่าวไทย", "cp874"), ("x-euc-jp", "日本語の記事", "euc_jp"),
    ("csgb2312", "中文新闻", "gbk"), ("Shift_JIS", "日本語の記事", "cp932"),
])
def test_every_charset_label_browsers_know_is_read(label, text, codec):
    page = f"<meta charset='{label}'><p>{text}</p>".encode(codec)
    assert texts(page) == [text]


@pytest.mark.parametrize("head", ["<meta charset='utf-8'>", ""])
def test_a_utf8_page_with_a_stray_byte_stays_utf8(head):
    page = f"{head}<p>Café crème “brûlée”</p><p>Second ".encode() + b"\xa9 one.</p>"
    assert texts(page) == ["Café crème “brûlée”", "Second � one."]


def test_a_cp1252_page_that_declares_utf8_is_read_as_cp1252():
    page = "<meta charset='utf-8'><p>Café crème, déjà vu à Zürich</p>".encode("cp1252")
    assert texts(page) == ["Café crème, déjà vu à Zürich"]


def test_a_cp1252_page_that_declares_nothing_is_read_as_cp1252():
    assert texts("<p>Café crème, déjà vu</p><p>“quoted”</p>".encode("cp1252")) == [
        "Café crème, déjà vu", "“quoted”"]


@pytest.mark.parametrize(("module", "cut", "many"), [
    ("classifier.htmlblocks", from_html, "<p>x</p>" * 10_000),
    ("classifier.documents", from_text, "x\n\n" * 10_000),
])
def test_cutting_stops_at_the_first_block_over_the_limit(monkeypatch, module, cut, many):
    made = []

    class CountedBlock(Block):
        def __init__(self, *args, **kwargs) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)
    monkeypatch.setattr(f"{module}.Block", CountedBlock)
    with pytest.raises(InvalidInput, match="over the limit of 2 paragraphs") as error:
        cut(many, max_blocks=2)
    assert error.value.code == "too_large" and len(made) == 3
    assert len(cut(many[:len(many) // 5000], max_blocks=2)) == 2


def test_a_lone_surrogate_in_html_text_does_not_lose_the_rest_of_the_page():
    assert texts("<body>\ud800<p>One.</p><p>Two.</p></body>") == ["\ufffd", "One.", "Two."]


def test_noframes_and_noembed_are_not_shown_as_markup():
    page = "<noframes><p>No <b>frames</b></p></noframes><noembed>x</noembed><p>Seen</p>"
    assert texts(page) == ["Seen"]


def test_a_tower_of_classed_elements_keeps_a_bounded_list_of_markup_tokens():
    def word(n: int) -> str:  # a class word of its own for each level: "xb", "xbc", ...
        return "x" + "".join(chr(ord("a") + int(digit)) for digit in str(n))

    page = "".join(f"<section class='{word(n)} y{word(n)}'>" for n in range(1_500)) + "deep"
    [block] = from_html(page).blocks
    assert block.text == "deep" and len(block.markup.split()) <= 129  # tag + bounded tokens


def test_undeclared_non_utf8_bytes_fall_back_without_failing():
    assert "Caf" in decode_html("<p>Café</p>".encode("cp1252"))
    assert texts(b"\xff\xfe<\x00p\x00>\x00h\x00i\x00") == ["hi"]  # UTF-16 with a BOM


def test_deeply_nested_markup_does_not_exhaust_the_stack():
    page = "<div>" * 1_500 + "deep text" + "</div>" * 1_500
    assert texts(page) == ["deep text"]


def test_nesting_deeper_than_the_parser_keeps_is_an_error_not_a_partial_answer():
    page = "<div>" * 100_000 + "deep text" + "</div>" * 100_000
    with pytest.raises(InvalidInput) as error:
        from_html(page)
    assert error.value.code == "too_deep"


def test_huge_flat_document_is_segmented():
    page = "<body>" + "".join(f"<p>paragraph {n}</p>" for n in range(20_000)) + "</body>"
    assert len(texts(page)) == 20_000


@pytest.mark.parametrize("page", ["", "   ", "<html><script>x</script></html>", "<p hidden>x</p>"])
def test_pages_without_visible_text_are_an_error(page):
    with pytest.raises(InvalidInput) as error:
        from_html(page)
    assert error.value.code == "empty_input"
