#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on loopback for pawl's tests.

Every message it accepts is written to FOLDER as N.eml, with its envelope
(sender and recipients) and the message as Python's own e-mail parser reads
it (headers, the plain-text and HTML parts decoded) in N.json. With --refuse it answers every recipient
with 550, as a server that will not take the mail does. Prints "ready" once
it listens, and runs until it is killed.
"""
import argparse
import email
import email.policy
import json
import os
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.lock = threading.Lock()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.7.1 this test server refuses every message"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.folder, str(n))
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parsed = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in message.items()},
            "text": message.get_body(("plain",)).get_content(),
            "html": message.get_body(("html",)).get_content(),
        }
        with open(base + ".json", "w") as f:
            json.dump(parsed, f)
        with open(base + ".eml.part", "wb") as f:
            f.write(raw)
        # The message appears whole or not at all to a reader polling the folder.
        os.rename(base + ".eml.part", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--folder", required=True)
    p.add_argument("--refuse", action="store_true")
    a = p.parse_args()
    controller = Controller(Sink(a.folder, a.refuse), hostname="127.0.0.1", port=a.port)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
