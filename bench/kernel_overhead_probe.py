"""Reference clients for bench/kernel-overhead.mjs, run with Debian's /usr/bin/python3.

    python3 kernel_overhead_probe.py zmq N [CONNECTION_FILE]
        `print(1+1)` N times with jupyter_client's BlockingKernelClient over ZeroMQ: on a kernel
        started here by KernelManager, or on an existing kernel (its connection file).
    PROBE_TOKEN=... python3 kernel_overhead_probe.py ws N WS_URL QUICKACK
        the same loop over the kernel websocket with a minimal stdlib client (blocking socket,
        hand-written RFC 6455 framing); QUICKACK=1 re-arms TCP_QUICKACK after every recv(), so
        this end never delays its ACKs (a Linux socket option Node.js does not expose).

Prints one JSON line: {"ms": [per-execution milliseconds after warm-up]}. Warm-up: 20 runs.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import uuid
from urllib.parse import urlsplit

WARMUP = 20
CODE = "print(1+1)"


def zmq_loop(n, connection_file=None):
    from jupyter_client import BlockingKernelClient, KernelManager

    km = None
    if connection_file:
        kc = BlockingKernelClient(connection_file=connection_file)
        kc.load_connection_file()
    else:
        km = KernelManager(kernel_name="python3")
        km.start_kernel(env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)

    def run():
        t = time.perf_counter()
        msg_id = kc.execute(CODE)
        idle = replied = False
        while not idle:  # status idle on iopub
            m = kc.get_iopub_msg(timeout=30)
            idle = m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
        while not replied:  # execute_reply on shell
            m = kc.get_shell_msg(timeout=30)
            replied = m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_reply"
        return (time.perf_counter() - t) * 1000

    for _ in range(WARMUP):
        run()
    ms = [run() for _ in range(n)]
    kc.stop_channels()
    if km:
        km.shutdown_kernel(now=True)
    return ms


class MiniWebSocket:
    def __init__(self, url, token, quickack):
        u = urlsplit(url)
        self.quickack = quickack
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = (
            f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: token {token}\r\n\r\n"
        )
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        status = head.split(b"\r\n")[0]
        if b" 101 " not in status:
            raise RuntimeError("websocket refused: " + status.decode())
        self.buf = bytearray(rest)

    def _recv(self):
        data = self.sock.recv(65536)
        if self.quickack:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        if not data:
            raise RuntimeError("websocket closed")
        self.buf += data

    def _need(self, n):
        while len(self.buf) < n:
            self._recv()

    def send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def recv_text(self):
        while True:
            self._need(2)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                self._need(4)
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(off + n)
            payload = bytes(self.buf[off : off + n])
            del self.buf[: off + n]
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self.send(0xA, payload)  # pong
            elif opcode == 0x8:
                raise RuntimeError("websocket closed by the server")
            elif opcode == 0x1:
                return payload.decode()


def ws_loop(n, url, token, quickack):
    sep = "&" if "?" in url else "?"
    ws = MiniWebSocket(f"{url}{sep}session_id={uuid.uuid4()}", token, quickack)
    session = str(uuid.uuid4())

    def run():
        msg_id = str(uuid.uuid4())
        msg = {
            "header": {"msg_id": msg_id, "username": "bench", "session": session, "msg_type": "execute_request", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": CODE, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }
        t = time.perf_counter()
        ws.send(0x1, json.dumps(msg).encode())
        idle = replied = False
        while not (idle and replied):
            m = json.loads(ws.recv_text())
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            t_ = m["header"]["msg_type"]
            replied = replied or t_ == "execute_reply"
            idle = idle or (t_ == "status" and m["content"].get("execution_state") == "idle")
        return (time.perf_counter() - t) * 1000

    for _ in range(WARMUP):
        run()
    return [run() for _ in range(n)]


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == "zmq":
        ms = zmq_loop(n, sys.argv[3] if len(sys.argv) > 3 else None)
    elif mode == "ws":
        ms = ws_loop(n, sys.argv[3], os.environ["PROBE_TOKEN"], sys.argv[4] == "1")
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps({"ms": ms}))


if __name__ == "__main__":
    main()
