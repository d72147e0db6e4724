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
# Browser labels that Python spells differently.
_LABELS = {"windows-874": "cp874", "x-mac-cyrillic": "mac-cyrillic", "windows-31j": "cp932",
           "x-sjis": "cp932", "unicode-1-1-utf-8": "utf-8"}
_SAME = ("utf-8 koi8-r koi8-u cp866 mac-roman mac-cyrillic cp874 gbk gb18030 big5hkscs euc_jp "
         "iso2022_jp cp932 cp949 iso8859-2 iso8859-3 iso8859-4 iso8859-5 iso8859-6 iso8859-7 "
         "iso8859-8 iso8859-10 iso8859-13 iso8859-14 iso8859-15 iso8859-16 cp1250 cp1251 cp1252 "
         "cp1253 cp1254 cp1255 cp1256 cp1257 cp1258").split()
# Python's name of a codec a page may declare -> the codec browsers read such a page with.
WEB_ENCODINGS = {name: name for name in _SAME} | {
    "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
    "tis-620": "cp874", "gb2312": "gbk", "big5": "big5hkscs", "shift_jis": "cp932",
    "euc_kr": "cp949", "utf-16": "utf-8", "utf-16-le": "utf-8", "utf-16-be": "utf-8",
}


def declared_charset(page: bytes) -> str | None:
    """The codec to read ``page`` with, by the charset its markup declares near the top; None
    when it declares none that browsers know."""
    found = _META_CHARSET.search(page[:4096])
    if not found:
        return None
    label = found.group(1).decode("ascii").lower()
    try:
        name = codecs.lookup(_LABELS.get(label, label)).name
    except LookupError:
        return None
    return WEB_ENCODINGS.get(name)


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode by BOM, then the ``declared`` codec, then UTF-8, then cp1252 (which never fails:
    the web's own fallback for pages that do not say)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    for encoding in [declared, "utf-8"] if declared else ["utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeError):  # some codecs refuse with the bare UnicodeError
            continue
    return data.decode("cp1252", errors="replace")
