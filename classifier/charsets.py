"""Bytes to text: by byte-order mark, then the charset a page declares, then UTF-8, then cp1252.

A page's ``<meta charset>`` is read the way browsers read it (the WHATWG Encoding Standard): only
the labels they know count, some name a superset (``iso-8859-1`` pages are read as cp1252, whose
curly quotes they use), and a page that declares UTF-16 in ASCII markup is not UTF-16. Python
knows many more codecs (EBCDIC, ``unicode_escape``) that no web page means.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Every label of the Encoding Standard, under the Python codec that reads such a page as
# browsers do. Its "replacement" and "x-user-defined" encodings are left out: a page that
# declares them is read as one that declares nothing.
_CODEC_LABELS = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8 "
             # UTF-16 declared in markup that reads as ASCII: the page is not UTF-16
             "unicodefffe utf-16be csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 "
             "utf-16le",
    "cp866": "866 cp866 csibm866 ibm866",
    "iso8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
                 "iso_8859-2:1987 l2 latin2",
    "iso8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
                 "iso_8859-3:1988 l3 latin3",
    "iso8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
                 "iso_8859-4:1988 l4 latin4",
    "iso8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
                 "iso_8859-5 iso_8859-5:1988",
    "iso8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 "
                 "iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
                 "iso_8859-6:1987",
    "iso8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
                 "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    # ISO-8859-8-I differs from ISO-8859-8 only in the direction text is shown
    "iso8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
                 "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual "
                 "csiso88598i iso-8859-8-i logical",
    "iso8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    # Python's koi8_u reads 0xAE and 0xBE as box drawing, where browsers read ў and Ў
    "koi8-u": "koi8-ru koi8-u",
    "mac-roman": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
              "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 "
              "x-cp1252",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
              "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "cp1255": "cp1255 windows-1255 x-cp1255",
    "cp1256": "cp1256 windows-1256 x-cp1256",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "cp1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    # the standard's GBK decoder is its gb18030 decoder
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk "
               "gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc_jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso2022_jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 "
             "ksc_5601 windows-949 euc-kr",
}
WEB_CODECS = {label: codec for codec, labels in _CODEC_LABELS.items() for label in labels.split()}


def declared_charset(page: bytes) -> str | None:
    """The codec to read ``page`` with, by the charset its markup declares near the top; None
    when it declares none that browsers know."""
    found = _META_CHARSET.search(page[:4096])
    return WEB_CODECS.get(found.group(1).decode("ascii").lower()) if found else None


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode by BOM, then the ``declared`` codec, then UTF-8; failing all of them, as UTF-8
    when most of the page is UTF-8, else by the declared codec, or cp1252 (the web's own
    fallback) when it declares none or UTF-8, each with the bytes it cannot read replaced."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    for encoding in [declared, "utf-8"] if declared else ["utf-8"]:
        try:
            return data.decode(encoding)
        except UnicodeError:  # some codecs refuse with the bare UnicodeError
            continue
    as_utf8 = data.decode("utf-8", errors="replace")
    if _mostly_utf8(as_utf8):
        return as_utf8
    # A page that says UTF-8 but is not (old CMS pages saved as cp1252) reads as cp1252 too.
    return data.decode(declared if declared not in (None, "utf-8") else "cp1252",
                       errors="replace")


def _mostly_utf8(text: str) -> bool:
    """Whether ``text``, decoded as UTF-8 with its bad bytes replaced, has more characters that
    were read than were replaced beyond ASCII: a UTF-8 page with a stray byte, rather than a
    cp1252 page, whose accented letters UTF-8 cannot read."""
    replaced = text.count("\ufffd")
    return len(text) - len(text.encode("ascii", "ignore")) - replaced > replaced
