"""google.api.http path templates, compiled once into regular expressions.

Grammar (google/api/http.proto):
    Template = "/" Segments [ Verb ] ;   Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;   Verb = ":" LITERAL ;
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()+,;=@-]+$")
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class TemplateError(ValueError):
    """A path template that does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class Variable:
    """One `{field.path=segments}` capture; `multi` when it may span several segments."""

    field_path: tuple[str, ...]
    pattern: str
    multi: bool


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """A parsed template: the regex that matches a raw (still percent-encoded) path."""

    source: str
    regex: re.Pattern[str]
    variables: tuple[Variable, ...]
    verb: str
    literal: bool  # no variables or wildcards: matched by dictionary lookup

    def match(self, raw_path: str) -> dict[tuple[str, ...], str] | None:
        """The captured field values (percent-decoded) or None."""
        m = self.regex.match(raw_path)
        if m is None:
            return None
        out: dict[tuple[str, ...], str] = {}
        for i, var in enumerate(self.variables):
            value = m.group(i + 1)
            # A multi-segment capture keeps %2F encoded, as the spec asks (RFC 6570 reserved).
            out[var.field_path] = (
                unquote(value.replace("%2F", "%252F").replace("%2f", "%252f"))
                if var.multi
                else unquote(value)
            )
        return out

    def openapi_path(self, names: list[str]) -> str:
        """The template in OpenAPI form: `{name}` per variable (in order), patterns dropped."""
        it = iter(names)
        return _OPENAPI_VAR.sub(lambda m: "{" + next(it) + "}", self.source)


_OPENAPI_VAR = re.compile(r"\{([^}=]+)(=[^}]*)?\}")


def _segment_regex(seg: str, last: bool) -> tuple[str, bool]:
    """Regex for one non-variable segment and whether it spans segments."""
    stop = "/:" if last else "/"
    if seg == "*":
        return f"[^{stop}]+", False
    if seg == "**":
        return f"[^{':' if last else ''}]*" if last else ".*", True
    if not _LITERAL.match(seg):
        raise TemplateError(f"bad literal segment {seg!r}")
    return re.escape(seg), False


def _split_segments(body: str) -> list[str]:
    """Split on "/" outside of braces."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise TemplateError("unbalanced braces")
        if ch == "/" and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise TemplateError("unbalanced braces")
    out.append("".join(cur))
    return out


def parse(template: str) -> PathTemplate:
    """Parse and compile one template; TemplateError when it is malformed."""
    if not template.startswith("/"):
        raise TemplateError(f"template must start with '/': {template!r}")
    body, verb = template[1:], ""
    last_brace = body.rfind("}")
    colon = body.rfind(":")
    if colon > last_brace and colon > body.rfind("/"):
        body, verb = body[:colon], body[colon + 1 :]
        if not _LITERAL.match(verb):
            raise TemplateError(f"bad verb {verb!r}")
    segments = _split_segments(body)
    parts: list[str] = []
    variables: list[Variable] = []
    plain = True
    for idx, seg in enumerate(segments):
        # The last segment never swallows a ":verb" (`/tasks/t1:retry` is not `/tasks/{id}`).
        last = idx == len(segments) - 1
        if seg.startswith("{") and seg.endswith("}"):
            name, _, sub = seg[1:-1].partition("=")
            if not _FIELD_PATH.match(name):
                raise TemplateError(f"bad field path {name!r}")
            sub_regex, multi = _sub_segments(sub or "*", last)
            variables.append(Variable(tuple(name.split(".")), sub or "*", multi))
            parts.append(f"({sub_regex})")
            plain = False
        else:
            rx, _multi = _segment_regex(seg, last)
            plain = plain and seg not in ("*", "**")
            parts.append(rx)
    pattern = "/" + "/".join(parts) + (re.escape(":" + verb) if verb else "")
    return PathTemplate(template, re.compile(pattern + r"\Z"), tuple(variables), verb, plain)


def _sub_segments(sub: str, last: bool) -> tuple[str, bool]:
    segs = sub.split("/")
    if any(s.startswith("{") for s in segs):
        raise TemplateError("nested variables are not allowed")
    rx = []
    multi = len(segs) > 1
    for i, s in enumerate(segs):
        r, m = _segment_regex(s, last and i == len(segs) - 1)
        rx.append(r)
        multi = multi or m
    return "/".join(rx), multi
