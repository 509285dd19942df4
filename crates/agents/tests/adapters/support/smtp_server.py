"""A real SMTP server (aiosmtpd) for the agents' adapter tests.

Binds 127.0.0.1 on a free port and prints {"port": N}, then one JSON line per accepted
message: envelope, login, main headers and the decoded text body. AUTH (PLAIN or LOGIN) is
required and checked against SMTP_TEST_USER / SMTP_TEST_PASSWORD; the connection is plain,
which is only acceptable because it never leaves loopback. Recipients starting with
"reject-permanent" are refused with 550, "reject-transient" with 451. With SMTP_TEST_CERT and
SMTP_TEST_KEY set, STARTTLS is offered and required before AUTH and MAIL. Exits when stdin
closes, so the test that started it stops it by dropping its handle.
"""

import asyncio
import email
import json
import os
import ssl
import sys
from email import policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER = os.environ["SMTP_TEST_USER"].encode()
PASSWORD = os.environ["SMTP_TEST_PASSWORD"].encode()
HEADERS = ["From", "To", "Subject", "Message-ID", "Content-Type", "Content-Transfer-Encoding", "Date", "MIME-Version"]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject-permanent"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("reject-transient"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": session.auth_data if session.authenticated else None,
            "tls": session.ssl is not None,
            "headers": {name: str(message[name]) for name in HEADERS if message[name] is not None},
            "body": message.get_content(),
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def tls_context():
    cert, key = os.environ.get("SMTP_TEST_CERT"), os.environ.get("SMTP_TEST_KEY")
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


TLS = tls_context()


def factory():
    if TLS is None:
        return SMTP(Handler(), authenticator=authenticator, auth_require_tls=False, hostname="smtp.test.local")
    return SMTP(
        Handler(),
        authenticator=authenticator,
        tls_context=TLS,
        require_starttls=True,
        auth_require_tls=True,
        hostname="smtp.test.local",
    )


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
