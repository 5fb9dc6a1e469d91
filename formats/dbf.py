"""The text of a Shapefile's DBF: which encoding it is in (a forced one, the .cpg, the language driver byte, else the
content — each choice said in a note), and the 10-byte field-name cut. Pure: bytes in, codec and note out."""
from __future__ import annotations

import numpy as np

from formats.encoding import dbf_codec_over_single_byte, decodes, single_byte_page
from geo.errors import LayerFileError

_CPG_CODECS = {"936": "GB18030", "CP936": "GB18030", "GBK": "GB18030", "GB2312": "GB18030", "GB18030": "GB18030",
               "ANSI 936": "GB18030", "UTF-8": "UTF-8", "UTF8": "UTF-8", "65001": "UTF-8",
               "ANSI 1252": "cp1252", "1252": "cp1252", "8859-1": "latin-1", "88591": "latin-1",
               "ISO88591": "latin-1"}
"""A .cpg's code page → the codec read with (GB18030 is a superset of GBK and GB2312)."""
_LDID_CODECS = {0x4D: "GB18030", 0x7A: "GB18030"}
"""The DBF's language driver id (byte 29) for Chinese code page 936."""
DBF_NAME_BYTES = 10
"""A DBF field name holds at most 10 bytes (a longer name is cut, even inside a GBK character)."""

def dbf_text(dbf: bytes) -> tuple[list[bytes], list[tuple[bytes, int]]]:
    """The DBF's field names (bytes) and, per field, (the column of its values as one byte string, its width)."""
    if len(dbf) < 32:
        raise LayerFileError("DBF 属性表文件不完整")
    n_records = int.from_bytes(dbf[4:8], "little")
    header_len = int.from_bytes(dbf[8:10], "little")
    record_len = int.from_bytes(dbf[10:12], "little")
    names, widths = [], []
    for at in range(32, header_len - 1, 32):
        if dbf[at] == 0x0D:
            break
        names.append(dbf[at:at + 11].split(b"\0")[0])
        widths.append(dbf[at + 16])
    records = np.frombuffer(dbf, np.uint8, count=n_records * record_len, offset=header_len) \
        if len(dbf) >= header_len + n_records * record_len else np.zeros(0, np.uint8)
    table = records.reshape(n_records, record_len) if record_len else records.reshape(0, 0)
    columns, start = [], 1                                          # byte 0 of a record: the deletion flag
    for width in widths:
        columns.append((table[:, start:start + width].tobytes(), width))
        start += width
    return names, columns


def mended_names(dbf: bytes, codec: str) -> bytes:
    """The DBF with each field name whose last character the 10-byte cut broke ended before that character (GDAL
    reads names as they are and the strict decoding after it fails on them)."""
    out = bytearray(dbf)
    header_len = int.from_bytes(dbf[8:10], "little")
    for at in range(32, header_len - 1, 32):
        if dbf[at] == 0x0D:
            break
        name = dbf[at:at + 11].split(b"\0")[0]
        try:
            name.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":
                out[at + exc.start:at + 11] = bytes(11 - exc.start)
    return bytes(out)


def cpg_page(cpg: bytes | None) -> str:
    """The code page a .cpg names, upper case: NUL bytes (some tools pad or end the name with them), a BOM, white
    space and non-ASCII bytes left out; "" when it names none."""
    if cpg is None:
        return ""
    text = cpg.replace(b"\0", b"").removeprefix(b"\xef\xbb\xbf").decode("ascii", "ignore")
    return "".join(c for c in text if c.isprintable()).strip().upper()


def detect_encoding(dbf: bytes, cpg: bytes | None = None, forced: str | None = None) -> tuple[str, str | None]:
    """The codec to read the DBF's text with, and a note on how it was chosen (None when the text is plain ASCII
    and no choice mattered)."""
    if forced:
        codec = _CPG_CODECS.get(forced.strip().upper(), forced.strip())
        try:
            "".encode(codec)
        except (LookupError, ValueError) as exc:                  # ValueError: a NUL byte in the name
            raise LayerFileError(f"无法识别指定的编码“{forced}”（可用 GBK、UTF-8 等）") from exc
        return codec, f"按指定编码 {forced} 读取属性" + ("（未使用 .cpg）" if cpg else "")
    names, columns = dbf_text(dbf)
    texts = [(name.ljust(DBF_NAME_BYTES), DBF_NAME_BYTES) for name in names] + columns
    page = cpg_page(cpg)
    if cpg is not None and not page:
        cpg = None                                  # an empty .cpg (or only NULs/BOM) says nothing: as if absent
    if cpg is not None:
        codec = _CPG_CODECS.get(page)
        if codec is None:
            try:
                "".encode(page)
                codec = page
            except (LookupError, ValueError) as exc:
                raise LayerFileError(f".cpg 文件中的编码“{page[:30]}”无法识别：请指定编码（如 GBK）") from exc
        if single_byte_page(page):                 # any bytes decode: the text itself decides
            labels = ["字段名"] * len(names) + [n.decode("gb18030", "replace") for n in names]
            fields = [(label, data, width) for label, (data, width) in zip(labels, texts)]
            got = dbf_codec_over_single_byte(page, fields)
            if got:
                return got
        if all(decodes(data, codec, width) for data, width in texts):
            return codec, None
        if all(decodes(data, "GB18030", width) for data, width in texts):   # a tool wrote UTF-8 over GBK text
            return "GB18030", f".cpg 写的是 {page}，但属性不是该编码；按内容判定为 GBK（GB18030）读取"
        raise LayerFileError(f".cpg 写的是 {page}，但属性不是该编码，也不是 GBK：请指定编码重新导入")
    if len(dbf) > 29 and dbf[29] in _LDID_CODECS:
        return _LDID_CODECS[dbf[29]], "无 .cpg，按 DBF 文件头的语言标识（代码页 936）以 GBK 读取属性"
    if all(data.isascii() for data, _ in texts):
        return "UTF-8", None
    if all(decodes(data, "UTF-8", width) for data, width in texts):
        return "UTF-8", "无 .cpg 编码文件，按内容判定为 UTF-8 读取属性"
    if all(decodes(data, "GB18030", width) for data, width in texts):
        return "GB18030", ("无 .cpg 编码文件，按内容判定为 GBK（GB18030）读取属性；若中文仍有乱码，"
                           "请指定编码重新导入")
    raise LayerFileError("无 .cpg 编码文件，属性既不是 UTF-8 也不是 GBK 编码：请指定编码（如 BIG5）重新导入")
