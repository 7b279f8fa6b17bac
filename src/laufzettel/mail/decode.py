"""Turning the bytes of real-world mail into text: charsets, RFC 2047 words, addresses.

Mail in the wild declares charsets wrongly or not at all, and puts raw 8-bit bytes into headers.
Every function here returns text for any input; what it cannot read exactly it reads the way a
person would most likely have meant it (UTF-8 first, then Windows-1252), never raising.
"""

import codecs
import email.header
import email.utils
import re

# Labels seen in mail that Python does not know, or knows as a narrower charset than senders use.
CHARSET_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    # Senders writing "Latin-1" mostly use Windows' superset (euro sign, German quotes).
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    # GBK and GB18030 are supersets of GB2312 that Chinese mailers use under the old name.
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-kr": "cp949",
}


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None if unknown or not a text codec."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Refuse the byte-to-byte codecs (base64, zlib, ...) a hostile label could name.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


# A mailer that gets one charset of a family wrong usually meant a sibling of it.
SIBLINGS = {
    "iso2022_jp_ext": ("cp932", "euc_jp"),
    "iso2022_jp": ("cp932", "euc_jp"),
    "euc_jp": ("cp932",),
    "cp932": ("euc_jp",),
    "gb18030": ("big5hkscs",),
    "big5hkscs": ("gb18030",),
}
_SINGLE_BYTE_PREFIXES = ("cp125", "iso8859", "latin", "koi8", "mac")


def decode_bytes(data: bytes, charset: str | None = None, fallbacks: tuple[str, ...] = ()) -> str:
    """Bytes to text; NUL characters dropped (PostgreSQL text cannot hold them)."""
    return _decode_bytes(data, charset, fallbacks).replace("\x00", "")


def _decode_bytes(data: bytes, charset: str | None, fallbacks: tuple[str, ...]) -> str:
    """Bytes to text: the declared charset if it reads cleanly, else UTF-8, else the message's
    other charsets (multi-byte ones first, they fail loudly when wrong), else Windows-1252."""
    tried: list[str] = []
    declared = codec_for(charset)
    others = [c for c in (codec_for(f) for f in fallbacks) if c]
    others.sort(key=lambda c: c.startswith(_SINGLE_BYTE_PREFIXES))
    candidates = [declared, *SIBLINGS.get(declared or "", ()), "utf-8"]
    for other in others:
        candidates += [other, *SIBLINGS.get(other, ())]
    candidates.append("cp1252")
    for candidate in candidates:
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            if candidate.startswith("iso2022_jp"):
                return _iso2022_jp(data)
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    # cp1252 leaves five byte values undefined; Latin-1 reads every byte.
    if declared:
        try:
            return data.decode(declared, "replace")
        except LookupError:
            pass
    return data.decode("latin-1")


def _iso2022_jp(data: bytes) -> str:
    """ISO-2022-JP read through Shift_JIS (cp932), so Microsoft's extra rows (①, ㈱) decode too.

    Without escape sequences it is plain ASCII, which must then fail here for UTF-8 to be tried.
    """
    if b"\x1b" not in data:
        data.decode("ascii")
        return data.decode("ascii")
    out = bytearray()
    double = False
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"$B", b"$@"):
                double, i = True, i + 3
                continue
            if seq in (b"(B", b"(J"):
                double, i = False, i + 3
                continue
        if double and data[i] not in b"\r\n":
            if i + 1 >= len(data):
                break
            j1, j2 = data[i], data[i + 1]
            s1 = ((j1 - 0x21) >> 1) + 0x81
            if s1 > 0x9F:
                s1 += 0x40
            s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0) if j1 % 2 else j2 + 0x7E
            out += bytes((s1 & 0xFF, s2 & 0xFF))
            i += 2
            continue
        out.append(data[i])
        i += 1
    return bytes(out).decode("cp932")


def header_str(value: object) -> str:
    """A header value as the parser saw it, raw 8-bit bytes kept as surrogates."""
    if isinstance(value, email.header.Header):
        # compat32 wraps headers with 8-bit bytes in a Header whose str() loses those bytes.
        out = []
        for chunk, _charset in email.header.decode_header(value):
            if isinstance(chunk, bytes):
                out.append(chunk.decode("ascii", "surrogateescape"))
            else:
                out.append(chunk)
        return "".join(out)
    return str(value)


def _raw_header_bytes(value: str) -> bytes:
    # The parser smuggles undecodable header bytes through as surrogates; get them back.
    return value.encode("utf-8", "surrogateescape")


# Encoded words run together with a neighbour ("=?utf-8?q?a?=b") are not split by the stdlib.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")


def decode_header(value: object, fallbacks: tuple[str, ...] = ()) -> str:
    """An RFC 2047 header (possibly with raw 8-bit bytes and broken words) as one line of text."""
    if value is None:
        return ""
    text = header_str(value).strip()
    raw = _raw_header_bytes(text)
    if not raw.isascii():
        text = decode_bytes(raw, None, fallbacks)
    if "=?" not in text:
        return _unfold(text)
    try:
        parts = email.header.decode_header(text)
    except Exception:
        parts = [(text, None)]
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset, fallbacks))
        else:
            out.append(chunk)
    result = "".join(out)
    if "=?" in result:
        result = _ENCODED_WORD.sub(_decode_word, result)
    return _unfold(result)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    try:
        if encoding.lower() == "b":
            import base64

            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            import quopri

            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"))
    except Exception:
        return match.group(0)
    return decode_bytes(data, charset.split("*")[0])


def _unfold(text: str) -> str:
    # Folding inserts a line break before white space; unfolding removes only the break.
    text = text.replace("\x00", "")
    return re.sub(r"\r?\n(?=[ \t])", "", text).replace("\r", "").replace("\n", "")


def parse_addresses(value: object, fallbacks: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``[(display name, address)]`` of an address header; names decoded, addresses lowercased."""
    if value is None:
        return []
    text = header_str(value)
    raw = _raw_header_bytes(text)
    if not raw.isascii():
        text = decode_bytes(raw, None, fallbacks)
    text = _unfold(text)
    # An encoded word may hide a comma ("=?...?Q?M=FCller,_Hans?="): keep it whole while the
    # address list is split, decode it afterwards.
    words: list[str] = []

    def protect(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"\ue000{len(words) - 1}\ue001"

    text = _ENCODED_WORD.sub(protect, text)
    try:
        pairs = email.utils.getaddresses([text])
    except Exception:
        pairs = []
    result: list[tuple[str, str]] = []
    for name, address in pairs:
        name = re.sub("\ue000(\\d+)\ue001", lambda m: words[int(m.group(1))], name)
        address = re.sub("\ue000(\\d+)\ue001", lambda m: words[int(m.group(1))], address)
        name = decode_header(name, fallbacks).strip().strip('"').strip()
        # "MAILER-DAEMON (Mail Delivery System) <postmaster@...>": the comment is not the name.
        without_comment = re.sub(r"\s*\([^()]*\)", "", name).strip()
        if without_comment:
            name = without_comment
        address = address.strip().strip("<>").strip()
        if not address and not name:
            continue
        if "=?" in address:
            address = decode_header(address, fallbacks)
        result.append((name, address.lower()))
    if not any("@" in address for _, address in result):
        found = re.search(r"[\w.+'-]+@[\w.-]+", text)
        if found:
            result = [("", found.group(0).lower())]
    return result


def message_ids(value: object) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    if value is None:
        return []
    text = str(value)
    found = re.findall(r"<[^<>\s]+>", text)
    if not found and text.strip():
        # Some mailers omit the angle brackets.
        found = [f"<{token}>" for token in text.split() if "@" in token]
    return [token.strip().replace("\x00", "") for token in found][:100]
