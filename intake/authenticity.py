"""Whether a message really comes from the department its From names, as the office's own
receiving server judged it (RFC 8601 Authentication-Results).

Anyone can write an Authentication-Results header into a message; only those carrying
the office server's authserv-id (`HUIZONG_IMAP_AUTHSERV_ID`) count. The verdict is
- pass: DMARC passed, or DKIM passed for the From domain;
- fail: a trusted result says DMARC failed, or DKIM or SPF of the From domain failed or
  soft-failed, or nothing passed while something failed;
- gray: no trusted result (or no authserv-id configured).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PASS, FAIL, GRAY = "pass", "fail", "gray"
VERDICT_ZH = {PASS: "通过", FAIL: "未通过", GRAY: "无法验证"}
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=\s*([A-Za-z0-9_-]+)(.*)$", re.S)
_PROPERTY = re.compile(r"([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)")
_RECEIVED_FROM = re.compile(r"\bfrom\s+([^\s;()]+)")
_ADDRESS = re.compile(r"\[([0-9A-Fa-f:.]+)\]")


@dataclass(frozen=True, slots=True)
class Result:
    method: str  # dmarc / dkim / spf / …
    result: str  # pass / fail / softfail / none / …
    properties: dict[str, str]


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # pass / fail / gray
    results: str  # the trusted results as the server wrote them, for the office
    host: str  # the sending host the office's server saw (from the top Received)

    def describe_zh(self) -> str:
        said = (f"，验证结果：{self.results}" if self.results
                else "，邮件中没有联席办邮件服务器的验证结果")
        return f"发件服务器 {self.host or '（未知）'}{said}"


def parse_results(header: str) -> tuple[str, list[Result]]:
    """(authserv-id, results) of one Authentication-Results header value."""
    text = _COMMENT.sub(" ", " ".join(header.split()))
    head, *parts = text.split(";")
    words = head.split()
    authserv_id = words[0].lower() if words else ""
    results = []
    for part in parts:
        found = _RESULT.match(part)
        if found is None:
            continue
        method, result, rest = found.groups()
        properties = {name.lower(): value.strip('"').lower()
                      for name, value in _PROPERTY.findall(rest)}
        results.append(Result(method.lower(), result.lower(), properties))
    return authserv_id, results


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().strip(".").lower()


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one inside the other."""
    return bool(domain) and (domain == from_domain or domain.endswith("." + from_domain)
                             or from_domain.endswith("." + domain))


def judge(headers: Sequence[str], received: Sequence[str], authserv_id: str,
          sender: str) -> Verdict:
    """The verdict on a message from `sender`, trusting only `authserv_id`'s results."""
    host = sending_host(received)
    wanted = authserv_id.strip().lower()
    if not wanted:
        return Verdict(GRAY, "", host)
    trusted = [result for header in headers
               for authority, results in [parse_results(header)] if authority == wanted
               for result in results]
    if not trusted:
        return Verdict(GRAY, "", host)
    said = "; ".join(f"{r.method}={r.result}" for r in trusted)
    from_domain = _domain(sender)
    dmarc = [r.result for r in trusted if r.method == "dmarc"]
    own_dkim = [r.result for r in trusted if r.method == "dkim" and _aligned(
        _domain(r.properties.get("header.d") or r.properties.get("header.i", "")), from_domain)]
    own_spf = [r.result for r in trusted if r.method == "spf" and _aligned(
        _domain(r.properties.get("smtp.mailfrom") or r.properties.get("smtp.helo", "")),
        from_domain)]
    if "fail" in dmarc:
        return Verdict(FAIL, said, host)
    if "pass" in dmarc or "pass" in own_dkim:
        return Verdict(PASS, said, host)
    failed = {"fail", "softfail"}
    if failed & {*own_dkim, *own_spf} or any(r.result in failed for r in trusted):
        return Verdict(FAIL, said, host)
    return Verdict(GRAY, said, host)


def sending_host(received: Sequence[str]) -> str:
    """`mail.attacker.example [203.0.113.9]`: who handed the message to the office's
    server, as the topmost Received header (the server's own) says."""
    if not received:
        return ""
    text = " ".join(received[0].split())
    name = _RECEIVED_FROM.search(text)
    address = _ADDRESS.search(text)
    parts = [name.group(1) if name else "", f"[{address.group(1)}]" if address else ""]
    return " ".join(p for p in parts if p)
