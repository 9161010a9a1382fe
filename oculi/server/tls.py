"""HTTPS for `oculi serve`: a headset on the LAN needs a secure context for WebXR, the camera
and the microphone (`localhost` is one already; a LAN address is not without TLS).

Either the user's own certificate (`--tls-cert`/`--tls-key`) or `--tls self-signed`: a
certificate made here with `cryptography` and kept in the data folder, so the headset's
browser is asked to accept it once, not on every start. It is remade only when it no longer
names every address the server answers on or is about to expire.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from oculi.errors import OculiError

SELF_SIGNED = "self-signed"
VALID_DAYS = 825          # the longest lifetime Apple platforms accept for a server cert
RENEW_BEFORE_DAYS = 30
WILDCARDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, to compare with what the browser shows
    generated: bool = False


def _fingerprint(cert_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def user_files(cert: Path, key: Path) -> TlsFiles:
    """The user's own certificate and key, checked before any model loads."""
    for what, path in (("certificate", cert), ("key", key)):
        if not path.is_file():
            raise OculiError(
                f"TLS {what} file not found: {path}",
                hint="pass PEM files to --tls-cert and --tls-key, or use --tls self-signed",
                code="tls_file_missing")
    try:
        fingerprint = _fingerprint(cert.read_bytes())
    except ValueError as exc:
        raise OculiError(f"{cert} is not a PEM certificate: {exc}",
                         hint="--tls-cert takes a PEM file (-----BEGIN CERTIFICATE-----)",
                         code="tls_cert_invalid") from None
    return TlsFiles(cert, key, fingerprint)


def local_names(host: str) -> list[str]:
    """Names and addresses a client may use to reach a server bound to `host`."""
    names = ["localhost", "127.0.0.1", "::1"]
    hostname = socket.gethostname()
    if hostname:
        names += [hostname, f"{hostname}.local"]
    if host.strip("[]") in WILDCARDS:
        import psutil

        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family in (socket.AF_INET, socket.AF_INET6):
                    ip = a.address.split("%")[0]  # drop an IPv6 zone
                    if not ipaddress.ip_address(ip).is_link_local:
                        names.append(ip)
    else:
        names.append(host.strip("[]"))
    return list(dict.fromkeys(names))


def _san(names: list[str]):  # noqa: ANN202 - cryptography's type, imported lazily
    from cryptography import x509

    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _covers(cert_pem: bytes, names: list[str]) -> bool:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem)
    if cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=RENEW_BEFORE_DAYS):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = {str(v) for v in san.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    return all(str(ipaddress.ip_address(n)) in have if _is_ip(n) else n in have for n in names)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def self_signed(folder: Path, names: list[str]) -> TlsFiles:
    """The self-signed certificate in `folder` for `names`, made (or remade) when needed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_path, key_path = folder / "self-signed-cert.pem", folder / "self-signed-key.pem"
    if cert_path.is_file() and key_path.is_file():
        pem = cert_path.read_bytes()
        try:
            if _covers(pem, names):
                return TlsFiles(cert_path, key_path, _fingerprint(pem))
        except ValueError:
            pass  # unreadable: make a new one
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oculi (self-signed)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(_san(names), critical=False)
        # its own trust anchor: a CA that may sign nothing but itself
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)  # also when an older key was there
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(pem)
    return TlsFiles(cert_path, key_path, _fingerprint(pem), generated=True)


def resolve(tls: str | None, cert: Path | None, key: Path | None, host: str,
            data_dir: Path) -> TlsFiles | None:
    """What the flags ask for: no TLS, the user's files, or the self-signed certificate."""
    if tls is not None and tls != SELF_SIGNED:
        raise OculiError(f"unknown --tls value {tls!r}", hint=f"--tls {SELF_SIGNED}",
                         code="tls_option_invalid")
    if tls and (cert or key):
        raise OculiError("--tls self-signed and --tls-cert/--tls-key exclude each other",
                         hint="pass one or the other", code="tls_option_invalid")
    if (cert is None) != (key is None):
        raise OculiError("--tls-cert and --tls-key go together",
                         hint="pass both PEM files", code="tls_option_invalid")
    if cert is not None and key is not None:
        return user_files(cert, key)
    if tls == SELF_SIGNED:
        return self_signed(data_dir / "tls", local_names(host))
    return None
