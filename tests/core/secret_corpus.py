"""The secret corpus: realistic leaks genplat must refuse and look-alikes it must let pass.

Every secret-looking value is built here at run time, from a fixed-seed generator and split literals
(``"sk_" + "live_" + …``), never written whole: so this repository holds no string that a secret
scanner (GitHub push protection, detect-secrets itself) would take for a real credential. The values
are well-formed (right prefixes, lengths, alphabets, a JWT whose parts decode, a private key that
parses) but belong to no account.

``LEAKS`` and ``LOOKALIKES`` are ``Case(id, name, value)``: ``name`` is the variable or field the value
sits under (the detector's context), ``value`` the string.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import functools
import json
import random
import string

ALNUM = string.ascii_letters + string.digits
LOWER_HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    name: str
    value: str


def _rnd(alphabet: str, n: int, seed: str) -> str:
    r = random.Random(f"genplat-corpus-{seed}")
    return "".join(r.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(seed: str, claims: dict[str, object]) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    return ".".join((header, payload, _rnd(URLSAFE, 43, seed)))


@functools.cache
def _keys() -> dict[str, str]:
    """PEM private and public keys and a certificate, made now (cryptography), so none is in Git."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    pem = serialization.Encoding.PEM
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "corpus-ca")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ec_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )
    return {
        "rsa": rsa_key.private_bytes(
            pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode(),
        "ec": ec_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
        "openssh": ed_key.private_bytes(
            pem, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode(),
        "encrypted": ec_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"corpus-passphrase")
        ).decode(),
        "public": ec_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "ssh-ed25519": ed_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode(),
        "ssh-rsa": rsa_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode(),
        "cert": cert.public_bytes(pem).decode(),
    }


def _kubeconfig(user: str) -> str:
    return (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\n"
        f"users:\n- name: deployer\n  user:\n{user}\ncontexts:\n- name: prod\n  context: {{cluster: prod, user: deployer}}\n"
    )


@functools.cache
def leaks() -> list[Case]:
    k = _keys()
    aws_id = "AK" + "IA" + _rnd(string.ascii_uppercase + string.digits, 16, "aws-id")
    aws_secret = _rnd(B64, 40, "aws-secret")
    cases = [
        Case("stripe-live-secret", "STRIPE", "sk_" + "live_" + "51" + _rnd(ALNUM, 96, "stripe")),
        Case("stripe-restricted", "PAYMENTS", "rk_" + "live_" + "51" + _rnd(ALNUM, 60, "stripe-rk")),
        Case("postgres-url-password", "DATABASE_URL", "postgres://app:" + "s3cr3t" + "@db:5432/shop"),
        Case("mysql-url-password", "ORDERS_DB", "mysql://root:" + "Tr0ub4dor3x" + "@mysql.orders:3306/app"),
        Case("redis-url-no-user", "CACHE_URL", "redis://:" + "p4ssw0rdRedis9" + "@cache:6379/0"),
        Case("amqp-url-password", "QUEUE", "amqps://svc:" + "Rabb1tMQpw7" + "@mq.internal:5671/orders"),
        Case("mongodb-srv-password", "MONGO", "mongodb+srv://app:" + "M0ng0Pass2026" + "@cluster0.example.net/db"),
        Case("https-basic-auth", "GIT_REMOTE", "https://deploy:" + "gh0stRid3r42" + "@git.example.com/acme/app.git"),
        Case("jwt-session", "SESSION", _jwt("session", {"sub": "1234567890", "name": "svc", "iat": 1516239022})),
        Case("jwt-neutral-name", "CONFIG_BLOB", _jwt("blob", {"iss": "acme", "aud": "orders", "exp": 1900000000})),
        Case("aws-access-key-id", "AWS_ACCESS_KEY_ID", aws_id),
        Case("aws-secret-neutral", "BACKUP_SIGNING", aws_secret),
        Case("aws-session-key-id", "UPLOADER", "AS" + "IA" + _rnd(string.ascii_uppercase + string.digits, 16, "asia")),
        Case("gcp-api-key", "MAPS", "AI" + "za" + "Sy" + _rnd(URLSAFE, 33, "gcp")),
        Case(
            "gcp-service-account-json",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            json.dumps({"type": "service_account", "project_id": "acme", "private_key": k["ec"]}),
        ),
        Case(
            "azure-storage-connection",
            "BLOB_STORE",
            "DefaultEndpointsProtocol=https;AccountName=acmeprod;Account" + "Key=" + _rnd(B64, 86, "azure") + "==;"
            "EndpointSuffix=core.windows.net",
        ),
        Case("pem-rsa-private", "TLS", k["rsa"]),
        Case("pem-ec-private", "SIGNER", k["ec"]),
        Case("openssh-private", "DEPLOY_SSH", k["openssh"]),
        Case("pem-encrypted-private", "COSIGN", k["encrypted"]),
        Case(
            "slack-bot-token",
            "CHATOPS",
            "xo"
            + "xb-"
            + "2"
            + _rnd(string.digits, 11, "s1")
            + "-"
            + _rnd(string.digits, 13, "s2")
            + "-"
            + _rnd(ALNUM, 24, "s3"),
        ),
        Case(
            "slack-webhook",
            "ALERTS",
            "https://hooks.slack.com/services/T"
            + _rnd("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8, "t")
            + "/B"
            + _rnd("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10, "b")
            + "/"
            + _rnd(ALNUM, 24, "w"),
        ),
        Case(
            "discord-webhook",
            "DEPLOY_NOTIFY",
            "https://discord.com/api/webhooks/" + _rnd(string.digits, 18, "d") + "/" + _rnd(URLSAFE, 68, "dt"),
        ),
        Case(
            "webhook-query-token",
            "PAGER",
            "https://events.example.com/v2/enqueue?routing=ops&token=" + _rnd(ALNUM, 32, "pq"),
        ),
        Case(
            "azure-sas-url",
            "EXPORTS",
            "https://acme.blob.core.windows.net/exports?sv=2022-11-02&ss=b&sp=rl&sig=" + _rnd(ALNUM, 43, "sas") + "%3D",
        ),
        Case("kubeconfig-token", "KUBECONFIG", _kubeconfig("    token: " + _rnd(ALNUM, 48, "kt"))),
        Case(
            "kubeconfig-client-key-data",
            "CLUSTER_ACCESS",
            _kubeconfig("    client-key-data: " + base64.b64encode(k["ec"].encode()).decode()),
        ),
        Case(
            "k8s-bootstrap-token",
            "JOIN",
            _rnd(string.ascii_lowercase + string.digits, 6, "bt1")
            + "."
            + _rnd(string.ascii_lowercase + string.digits, 16, "bt2"),
        ),
        Case("github-classic-pat", "CI", "gh" + "p_" + _rnd(ALNUM, 36, "ghp")),
        Case("github-fine-grained-pat", "RELEASER", "github" + "_pat_" + "11" + _rnd(ALNUM + "_", 80, "gfp")),
        Case("gitlab-pat", "MIRROR", "gl" + "pat-" + _rnd(URLSAFE, 20, "glpat")),
        Case("npm-token-npmrc", "NPMRC", "//registry.npmjs.org/:_auth" + "Token=npm_" + _rnd(ALNUM, 36, "npm")),
        Case("pypi-token", "PUBLISH", "pypi-" + "AgEIcHlwaS5vcmc" + _rnd(URLSAFE, 80, "pypi")),
        Case("sendgrid-key", "MAILER", "S" + "G." + _rnd(URLSAFE, 22, "sg1") + "." + _rnd(URLSAFE, 43, "sg2")),
        Case("twilio-api-key", "SMS", "S" + "K" + _rnd(LOWER_HEX, 32, "tw")),
        Case("mailchimp-key", "NEWSLETTER", _rnd(LOWER_HEX, 32, "mc") + "-us" + "14"),
        Case("openai-key", "LLM", "sk-" + _rnd(ALNUM, 20, "o1") + "T3Blbk" + "FJ" + _rnd(ALNUM, 20, "o2")),
        Case("telegram-bot", "BOT", _rnd(string.digits, 10, "tg1") + ":" + "AA" + _rnd(URLSAFE, 33, "tg2")),
        Case("square-oauth", "POS", "sq0" + "csp-" + _rnd(URLSAFE, 43, "sq")),
        Case("base64-high-entropy-innocent", "FEATURE_SEED", _rnd(B64, 44, "seed")),
        Case("hex-high-entropy-innocent", "COOKIE_SALT", _rnd(LOWER_HEX, 64, "salt")),
        Case("keyword-password", "DB_PASSWORD", "hunter2"),
        Case("keyword-token", "API_TOKEN", "opensesame42"),
        Case("keyword-passwd", "ADMIN_PASSWD", "Winter2026!"),
        Case("keyword-credentials", "SMTP_CREDENTIALS", "mailer:Sup3rSecret"),
        Case("artifactory-key", "ARTIFACTS", "AK" + "C" + _rnd(ALNUM, 70, "akc")),
    ]
    return cases


@functools.cache
def lookalikes() -> list[Case]:
    k = _keys()
    sha = _rnd(LOWER_HEX, 64, "digest")
    return [
        Case("image-digest", "IMAGE", "ghcr.io/acme/web@sha256:" + sha),
        Case(
            "image-tag-and-digest",
            "SIDECAR",
            "registry.example.com/team/proxy:1.4.2@sha256:" + _rnd(LOWER_HEX, 64, "d2"),
        ),
        Case("oci-digest", "BASE_DIGEST", "sha256:" + _rnd(LOWER_HEX, 64, "d3")),
        Case("uuid", "REQUEST_NAMESPACE", "3f1c9a52-6b2e-4d7a-9c41-0e8b5d2f7a13"),
        Case("uuid-upper", "TENANT_ID", "9B2E4C71-0A5D-4F3E-8C6B-2D1A7E9F0B43"),
        Case("git-commit", "GIT_COMMIT", _rnd(LOWER_HEX, 40, "commit")),
        Case("git-revision", "REVISION", _rnd(LOWER_HEX, 40, "rev")),
        Case("lock-checksum", "CONFIG_CHECKSUM", _rnd(LOWER_HEX, 64, "lock")),
        Case("sha512-hex", "ARTIFACT_SHA512", _rnd(LOWER_HEX, 128, "sha512")),
        Case("etag", "ETAG", _rnd(LOWER_HEX, 32, "etag")),
        Case("content-hash-name", "BUNDLE_HASH", "sha256:" + _rnd(LOWER_HEX, 64, "ch")),
        Case("pem-public-key", "SIGNING_PUBLIC", k["public"]),
        Case("ssh-ed25519-public", "DEPLOY_PUBKEY", k["ssh-ed25519"] + " deploy@acme"),
        Case("ssh-rsa-public", "AUTHORIZED", k["ssh-rsa"]),
        Case("pem-certificate", "CA_CERT", k["cert"]),
        Case("base64-certificate", "CA_BUNDLE", base64.b64encode(k["cert"].encode()).decode()),
        Case("placeholder-changeme", "DB_PASSWORD", "changeme"),
        Case("placeholder-env-ref", "DATABASE_PASSWORD", "${DB_PASSWORD}"),
        Case("placeholder-tekton-ref", "GIT_TOKEN", "$(params.git-token)"),
        Case("placeholder-angle", "API_KEY", "<your-api-key>"),
        Case("placeholder-xxx", "STRIPE_KEY", "xxxxxxxxxxxxxxxx"),
        Case("aws-documented-example-id", "AWS_ACCESS_KEY_ID", "AKIA" + "IOSFODNN7" + "EXAMPLE"),
        Case("aws-documented-example-secret", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"),
        Case("url-without-password", "DATABASE_URL", "postgres://app@db:5432/shop"),
        Case("url-password-from-env", "ORDERS_URL", "postgres://app:$(DB_PASSWORD)@db:5432/orders"),
        Case("url-placeholder-password", "SAMPLE_URL", "https://user:password@example.com/path"),
        Case("token-url", "TOKEN_URL", "https://auth.example.com/oauth/token"),
        Case("secret-name", "SECRET_NAME", "web-creds"),
        Case("password-file", "DB_PASSWORD_FILE", "/run/secrets/db-password"),
        Case("api-key-header", "API_KEY_HEADER", "X-Api-Key"),
        Case("long-kebab-name", "WORKER", "payments-reporting-worker-europe-west1-blue"),
        Case("semver", "VERSION", "1.27.3-rc.1+build.20261206"),
        Case("cron", "SCHEDULE", "*/15 * * * *"),
        Case("json-config", "RETRY_POLICY", '{"retries": 3, "backoff": "2s", "jitter": true}'),
        Case("cel-expression", "ADMISSION_RULE", "object.spec.replicas <= 10 && has(object.metadata.labels)"),
        Case("timestamp", "CUTOVER", "2026-12-06T23:05:00Z"),
        Case("base64-short-text", "GREETING", "aGVsbG8gd29ybGQ="),
        Case("public-ip", "EGRESS_IP", "34.117.59.81"),
        Case("hostname", "DB_HOST", "db.payments.svc.cluster.local"),
        Case("email", "ONCALL", "oncall@acme.example"),
        Case("short-build-id", "BUILD_ID", _rnd(LOWER_HEX, 12, "build")),
        Case("token-ttl", "TOKEN_TTL", "3600s"),
        Case("image-sha-tag", "CANARY_IMAGE", "registry.example.com/team/app:sha-" + _rnd(LOWER_HEX, 7, "tag")),
        Case("kubernetes-path", "SA_TOKEN_PATH", "/var/run/secrets/kubernetes.io/serviceaccount/token"),
        Case("feature-flags", "FEATURES", "checkout-v2,search-ranking,new-cart"),
        Case("log-format", "LOG_FORMAT", "%(asctime)s %(levelname)s %(name)s: %(message)s"),
    ]
