"""`make dev-cert`: a self-signed TLS certificate for the gateway on this machine (localhost,
127.0.0.1), valid 30 days, for development: a client trusts it by taking it as its own CA
(`curl --cacert var/tls/cert.pem`).

    python -m scripts.dev_cert [directory]      # default var/tls: cert.pem, key.pem"""

import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from plumbing.config import project_path

VALID_DAYS = 30


def make_dev_cert(directory: Path) -> tuple[Path, Path]:
    """Write cert.pem and key.pem into `directory`; their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


if __name__ == "__main__":
    cert_path, key_path = make_dev_cert(project_path(sys.argv[1] if len(sys.argv) > 1 else "var/tls"))
    print(f"GATEWAY_TLS_CERT={cert_path} GATEWAY_TLS_KEY={key_path} make run")
