"""Images named in chat messages: `data:` URLs decoded, http(s) URLs fetched defensively.

A server that fetches URLs for its callers can be turned against the network it sits in
(SSRF), so only http(s) is fetched, every address the host resolves to must be public unless
the operator allows private ones, redirects are followed by hand and checked again, and size
and time are capped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx

from oculi.server.errors import ApiError, invalid

_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp")
MAX_REDIRECTS = 3


@dataclass
class FetchedImage:
    data: bytes
    mime: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:2] == b"BM":
        return "image/bmp"
    return None


def _checked(data: bytes, where: str) -> FetchedImage:
    mime = _sniff(data)
    if mime is None:
        raise invalid(f"{where} is not a JPEG, PNG, WebP, GIF or BMP image", param="messages",
                      code="invalid_image")
    return FetchedImage(data, mime)


def decode_data_url(url: str, max_bytes: int) -> FetchedImage:
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise invalid("an image data URL must look like data:image/png;base64,…",
                      param="messages", code="invalid_image_url")
    if len(payload) * 3 // 4 > max_bytes:
        raise ApiError(413, f"the image is larger than {max_bytes} bytes", code="image_too_large")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("the image data URL is not valid base64", param="messages",
                      code="invalid_image_url") from None
    return _checked(data, "the data URL")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _check_host(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: resolved once, checked, and then used for the connection
    itself — a second lookup could answer differently (DNS rebinding)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise invalid(f"cannot resolve the image host '{host}'", param="messages",
                      code="image_fetch_failed") from None
    addresses = {info[4][0] for info in infos}
    if not allow_private and not all(is_public(a) for a in addresses):
        raise invalid(
            f"image host '{host}' resolves to a loopback or private address; oculi refuses "
            "to fetch it (send the image as a data: URL, or the operator can set "
            "allow_private_image_urls)",
            param="messages",
            code="image_url_forbidden",
        )
    return infos[0][4][0]


def _pinned(parts: SplitResult, address: str, port: int) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with the checked address in place of the name, and the Host header and TLS
    server name (SNI, certificate check) that keep the original name."""
    literal = f"[{address}]" if ":" in address else address
    target = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    host = parts.hostname or ""
    host_header = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, {"Host": host_header}, extensions


async def fetch_image(url: str, *, max_bytes: int, timeout: float, allow_private: bool) -> FetchedImage:
    """Fetch an http(s) image within the limits, or raise a 400/413 ApiError."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise invalid(f"image URLs must be data:, http: or https:, not '{parts.scheme}:'",
                              param="messages", code="image_url_forbidden")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = await _check_host(parts.hostname, port, allow_private)
            target, headers, extensions = _pinned(parts, address, port)
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    async with client.stream("GET", target, headers=headers,
                                             extensions=extensions) as resp:
                        if resp.is_redirect and "location" in resp.headers:
                            url = urljoin(url, resp.headers["location"])
                            continue
                        if resp.status_code != 200:
                            raise invalid(f"the image URL answered HTTP {resp.status_code}",
                                          param="messages", code="image_fetch_failed")
                        chunks, size = [], 0
                        async for chunk in resp.aiter_bytes():
                            size += len(chunk)
                            if size > max_bytes:
                                raise ApiError(413, f"the image is larger than {max_bytes} bytes",
                                               code="image_too_large")
                            chunks.append(chunk)
                        return _checked(b"".join(chunks), "the image URL")
            except (TimeoutError, httpx.TimeoutException):
                raise invalid(f"fetching the image took longer than {timeout:g} s",
                              param="messages", code="image_fetch_failed") from None
            except httpx.HTTPError as exc:
                raise invalid(f"cannot fetch the image: {exc}", param="messages",
                              code="image_fetch_failed") from None
    raise invalid("the image URL redirected too many times", param="messages",
                  code="image_fetch_failed")
