"""Masking personal data in anything a department, a log or the Prefect UI can see."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: keep the first character only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def redact(text: str, *, name: str, phone: str, id_number: str | None) -> str:
    """Replace the citizen's own name, phone and ID number wherever free text repeats them."""
    for secret, masked in (
        (id_number or "", "[身份证号已隐藏]"),
        (phone, mask_phone(phone)),
        (name, mask_name(name)),
    ):
        if secret and len(secret) >= 2:
            text = text.replace(secret, masked)
    return text
