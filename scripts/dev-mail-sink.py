#!/usr/bin/env python3
"""A local SMTP sink for scripts/dev: the idp's e-mails (notices, alias proofs, recovery links)
end up in .local/mail/*.eml and a one-line summary with their links is printed.

Standard library only (asyncio): EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
QUIT. Listens on 127.0.0.1 only. Usage: scripts/dev-mail-sink.py [PORT] [FOLDER]
"""

import asyncio
import email
import email.policy
import pathlib
import re
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1025
FOLDER = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else ".local/mail")


def keep(recipients, raw):
    FOLDER.mkdir(parents=True, exist_ok=True)
    name = FOLDER / f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9}.eml"
    name.write_bytes(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    links = re.findall(r"https?://\S+", text.get_content() if text else "")
    print(f"✉  {', '.join(recipients)} — {message['subject']}  ({name})", flush=True)
    for link in dict.fromkeys(links):
        print(f"     {link}", flush=True)


async def session(reader, writer):
    def reply(line):
        writer.write(line.encode() + b"\r\n")

    reply("220 127.0.0.1 dev mail sink")
    recipients = []
    while line := await reader.readline():
        command = line.decode("utf-8", "replace").strip()
        verb = command.split(" ", 1)[0].upper()
        if verb == "EHLO":
            reply("250-127.0.0.1\r\n250-8BITMIME\r\n250 SMTPUTF8")
        elif verb == "HELO":
            reply("250 127.0.0.1")
        elif verb == "MAIL":
            recipients = []
            reply("250 OK")
        elif verb == "RCPT":
            recipients.append(command[command.find("<") + 1 : command.rfind(">")])
            reply("250 OK")
        elif verb == "DATA" and recipients:
            reply("354 End data with <CR><LF>.<CR><LF>")
            await writer.drain()
            data = bytearray()
            while (chunk := await reader.readline()) not in (b".\r\n", b".\n", b""):
                data += chunk[1:] if chunk.startswith(b".") else chunk
            keep(recipients, bytes(data))
            recipients = []
            reply("250 OK: kept")
        elif verb in ("RSET", "NOOP"):
            recipients = [] if verb == "RSET" else recipients
            reply("250 OK")
        elif verb == "QUIT":
            reply("221 Bye")
            break
        else:
            reply("502 Command not implemented")
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", PORT)
    print(f"dev mail sink on 127.0.0.1:{PORT}, messages in {FOLDER}/", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
