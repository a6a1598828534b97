"""A fake SMTP server for tests: mail servers are outside the system, so this one may be faked."""

import email
import socket

import eventlet


class FakeSmtpServer:
    """Accepts every message on 127.0.0.1:<port> and keeps them in `messages`."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.messages: list[email.message.Message] = []
        self.thread = eventlet.spawn(self._serve)

    def close(self) -> None:
        self.thread.kill()
        self.listener.close()

    def _serve(self) -> None:
        while True:
            conn, _ = self.listener.accept()
            eventlet.spawn(self._session, conn)

    def _session(self, conn) -> None:
        stream = conn.makefile("rwb")

        def reply(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        reply("220 fake smtp")
        with conn, stream:
            while line := stream.readline():
                command = line[:4].upper()
                if command == b"DATA":
                    reply("354 go ahead")
                    data = b"".join(iter(stream.readline, b".\r\n"))
                    self.messages.append(email.message_from_bytes(data))
                    reply("250 queued")
                elif command == b"QUIT":
                    reply("221 bye")
                    return
                else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                    reply("250 ok")
