"""YAML text written by hand: scalars that read back as written, flow mappings, commented lines."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml


def yaml_scalar(value: Any, flow: bool = False) -> str:
    """A YAML scalar: plain when it reads back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    text = str(value)
    if re.search(r"\w", text) and text == text.strip() and "\t" not in text:
        doc = f"k: {{a: {text}}}" if flow else f"k: {text}"
        try:
            loaded = yaml.safe_load(doc)
        except yaml.YAMLError:
            loaded = None
        if loaded == ({"k": {"a": text}} if flow else {"k": text}):
            return text
    return json.dumps(text, ensure_ascii=False)


def yaml_key(value: Any) -> str:
    """A YAML mapping key (always a string key in the loaded mapping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.search(r"\w", text) and text == text.strip():
        try:
            if yaml.safe_load(f"{text}: 1") == {text: 1}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def flow_mapping(data: dict[str, Any]) -> str:
    parts = []
    for k, v in data.items():
        if isinstance(v, dict):
            parts.append(f"{k}: {flow_mapping(v)}")
        elif isinstance(v, list):
            parts.append(f"{k}: [{', '.join(yaml_scalar(x, flow=True) for x in v)}]")
        else:
            parts.append(f"{k}: {yaml_scalar(v, flow=True)}")
    return "{" + ", ".join(parts) + "}"


class YamlLines:
    """YAML lines with end-of-line comments."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, indent: int, text: str, comment: str | None = None) -> None:
        line = " " * indent + text
        if comment:
            line += "  # " + comment
        self.lines.append(line)

    def note(self, indent: int, comment: str) -> None:
        self.lines.append(" " * indent + "# " + comment)
