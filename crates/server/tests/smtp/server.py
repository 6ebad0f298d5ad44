"""A real SMTP server for the tests (aiosmtpd): STARTTLS with the given certificate (or
none), AUTH PLAIN/LOGIN with one user, on 127.0.0.1 with a port the system picks. It prints
"listening on 127.0.0.1:PORT", then one JSON line per mail received."""
import argparse
import asyncio
import json
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
        }), flush=True)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False)
    return check


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="mailer")
    p.add_argument("--password", default="secret")
    a = p.parse_args()
    tls = None
    if a.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)

    def factory():
        return SMTP(Handler(), hostname="localhost", tls_context=tls,
                    require_starttls=tls is not None,
                    authenticator=authenticator(a.user, a.password),
                    auth_required=True, auth_require_tls=tls is not None)

    server = await asyncio.get_running_loop().create_server(factory, host="127.0.0.1", port=0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


asyncio.run(main())
