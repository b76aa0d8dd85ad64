"""What a bank's status reason code means: ISO 20022's ExternalStatusReason1Code, kept as data
(`data/external_status_reasons.json`, with its source), so that a rejection reads "AC04 closed
account" and not a bare code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class StatusReason:
    """A reason code with its ISO name and meaning in English and Chinese."""

    code: str
    name: str
    meaning: str
    meaning_zh: str


@cache
def _table() -> dict[str, StatusReason]:
    text = resources.files("treasury.settlement").joinpath("data/external_status_reasons.json")
    document = json.loads(text.read_text("utf-8"))
    return {
        code: StatusReason(code, entry["name"], entry["en"], entry["zh"])
        for code, entry in document["codes"].items()
    }


def status_reason(code: str | None) -> StatusReason | None:
    """The meaning of a reason code (None for no code or one outside the ISO list)."""
    if code is None:
        return None
    return _table().get(code.strip().upper())


def meaning_of(code: str | None) -> str | None:
    """The code and its meaning, e.g. "AC04 closed account: …" (None without a code)."""
    return None if code is None else described(code, None)[0]


def described(code: str | None, text: str | None) -> tuple[str, str]:
    """The bank's reason as a treasurer reads it, in English and Chinese: the code, its ISO
    meaning (or that the code is not in the ISO list), and the bank's own words."""
    reason = status_reason(code)
    if code is None:
        english, chinese = "no reason code", "无原因代码"
    elif reason is None:
        english, chinese = f"{code} (a code outside the ISO list)", f"{code}（非 ISO 代码）"
    else:
        english, chinese = f"{code} {reason.meaning}", f"{code} {reason.meaning_zh}"
    if text:
        english, chinese = f"{english} — {text}", f"{chinese}——{text}"
    return english, chinese
