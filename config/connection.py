"""One sentence an operator can act on, for a server we could not talk to at all."""

from __future__ import annotations

import socket
import ssl


def unreachable_zh(error: BaseException, *, server: str, setting: str, host: str, port: int,
                   timeout: float) -> str | None:
    """`server`: what the clerk calls it (邮件服务器); `setting`: the prefix of its settings
    (HUIZONG_SMTP). None when the error is not about reaching the server."""
    where = f"{host}:{port}"
    if isinstance(error, ConnectionRefusedError):
        return f"无法连接{server} {where}（连接被拒绝），请确认 {setting}_HOST 和端口。"
    if isinstance(error, socket.gaierror):
        return f"找不到{server} {host}，请确认 {setting}_HOST。"
    # smtplib reports a reply that never came as a disconnection "timed out".
    if isinstance(error, TimeoutError | socket.timeout) or "timed out" in str(error):
        return f"{server} {where} 在 {timeout:g} 秒内没有响应，稍后重试。"
    if isinstance(error, ssl.SSLError):
        return (f"与{server} {where} 建立加密连接失败，请检查 {setting}_SECURITY"
                "（ssl / starttls / plain）与端口是否匹配。")
    return None
