"""How a paragraph's figures and their marks sit in the running text, the same for
report.md and report.docx, traced or clean.

A reference mark `[n]` stays glued to its figure (a word joiner before it, so no line
starts with it) and never stands between two numbers: in 「22名80后」 it moves to the end
of the clause (「22名80后青年科技特派员下乡服务[36]，」), where it cannot be read as part
of a figure. The clean copy for leaders has no marks and no highlights.
"""

from __future__ import annotations

from dataclasses import dataclass

from report.figures import Figure

WORD_JOINER = "\u2060"
CLAUSE_END = "，。；：、）」”！？"
# What a leader's clean copy prints where a figure is still missing.
CLEAN_GAP = "（数据待补）"


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    role: str  # text / gap (【待补】) / check (【待核】) / ref ([n])


def _runs_into_a_number(following: str | Figure | None) -> bool:
    """What comes next would be read as one number with the mark: a figure, or a digit."""
    if isinstance(following, str):
        return bool(following) and (following[0].isdigit() or following[0] in ".．%％")
    return following is not None


def pieces(parts: list[str | Figure], *, clean: bool = False) -> list[Piece]:
    found: list[Piece] = []
    deferred: list[str] = []  # references waiting for the end of their clause
    for position, part in enumerate(parts):
        if isinstance(part, str):
            text = part
            if deferred:
                cut = next((n for n, char in enumerate(text) if char in CLAUSE_END), len(text))
                found += [Piece(text[:cut], "text"), *(Piece(r, "ref") for r in deferred)]
                text, deferred = text[cut:], []
            if text:
                found.append(Piece(text, "text"))
            continue
        if clean:
            found.append(Piece((part.text.replace(part.marker, CLEAN_GAP) if part.gap
                                else part.text) + part.qualifier, "text"))
            continue
        before, marker, after = (part.text.partition(part.marker) if part.gap
                                 else (part.text, "", ""))
        found += [Piece(t, role) for t, role in ((before, "text"), (marker, "gap"),
                                                 (after + part.qualifier, "text")) if t]
        if part.check:
            found.append(Piece(WORD_JOINER + part.check, "check"))
        reference = f"{WORD_JOINER}[{part.number}]"
        following = parts[position + 1] if position + 1 < len(parts) else None
        if deferred or _runs_into_a_number(following):
            deferred.append(reference)
        else:
            found.append(Piece(reference, "ref"))
    found += [Piece(r, "ref") for r in deferred]
    return found
