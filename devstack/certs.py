"""Development certificates for mutual TLS with the registers simulator: a CA, a server certificate for
localhost/127.0.0.1 and a client (organisation) certificate, all signed by that CA.

``ensure(directory)`` makes them once and leaves an existing set alone; a set is written to a temporary
directory and renamed into place, so two processes starting at once never mix files of two CAs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 825
FILES = ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem")


@dataclass(frozen=True)
class CertSet:
    directory: Path

    @property
    def ca(self) -> str:
        return str(self.directory / "ca.pem")

    @property
    def server_cert(self) -> str:
        return str(self.directory / "server.pem")

    @property
    def server_key(self) -> str:
        return str(self.directory / "server-key.pem")

    @property
    def client_cert(self) -> str:
        return str(self.directory / "client.pem")

    @property
    def client_key(self) -> str:
        return str(self.directory / "client-key.pem")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bistand development"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey,
           *, ca: bool = False, server: bool = False, client: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                        critical=False)
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + (
            [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(directory: Path, org: str) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue(f"{org} development CA", ca_key, _name(f"{org} development CA"), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _issue("localhost", server_key, ca_cert.subject, ca_key, server=True)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _issue(f"{org} organisation certificate", client_key, ca_cert.subject, ca_key, client=True)
    pem = serialization.Encoding.PEM
    for name, data in (("ca.pem", ca_cert.public_bytes(pem)), ("ca-key.pem", _key_pem(ca_key)),
                       ("server.pem", server_cert.public_bytes(pem)), ("server-key.pem", _key_pem(server_key)),
                       ("client.pem", client_cert.public_bytes(pem)), ("client-key.pem", _key_pem(client_key))):
        path = directory / name
        path.write_bytes(data)
        if name.endswith("key.pem"):
            path.chmod(0o600)


def ensure(directory: Path, *, org: str = "Bistand") -> CertSet:
    """The certificate set in ``directory``, made first if it is not complete there."""
    directory = Path(directory)
    if all((directory / f).exists() for f in FILES):
        return CertSet(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        _write(staging, org)
        if directory.exists() and not any(directory.iterdir()):
            directory.rmdir()  # an empty directory (made by hand, or by a caller) is taken over
        try:
            os.rename(staging, directory)
        except OSError:
            # Another process won the race (or an incomplete set is in the way): keep what is there if complete.
            if not all((directory / f).exists() for f in FILES):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return CertSet(directory)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / ".data" / "certs"
    print(ensure(target).directory)
