"""Opens N /debug/events streams. Mode "idle": each socket sends its request with a tiny
receive buffer and then never reads, so the server's writes to it block. Mode "read": every
stream is read as fast as it comes (one process, select), counting the bytes. Prints READY
once every stream is open, then keeps them until it is killed (or 10 minutes pass); in "read"
mode it prints the bytes read so far each second.

Usage: idle_viewers.py HOST PORT ADMIN_TOKEN N [idle|read]
"""
import selectors
import socket
import sys
import time

host, port, token, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
mode = sys.argv[5] if len(sys.argv) > 5 else "idle"
sockets = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if mode == "idle":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(("GET /debug/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n" % (host, token)).encode())
    first = s.recv(64)  # the status line: the stream is open
    if not first.startswith(b"HTTP/1.1 200"):
        sys.exit("stream refused: %r" % first)
    sockets.append(s)
print("READY", flush=True)
deadline = time.time() + 600
if mode == "idle":
    time.sleep(600)
else:
    selector = selectors.DefaultSelector()
    for s in sockets:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    total, last = 0, time.time()
    while time.time() < deadline:
        for key, _ in selector.select(timeout=1):
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(key.fileobj)
            total += len(data)
        if time.time() - last >= 1:
            print("READ", total, flush=True)
            last = time.time()
