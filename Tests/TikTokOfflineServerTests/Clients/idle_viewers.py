"""Opens N /debug/events streams that never read: each socket sends its request with a tiny
receive buffer and then sits, so the server's writes to it block. Prints READY once every
stream is open, then keeps them until it is killed (or 10 minutes pass).

Usage: idle_viewers.py HOST PORT ADMIN_TOKEN N
"""
import socket
import sys
import time

host, port, token, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sockets = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(("GET /debug/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n" % (host, token)).encode())
    first = s.recv(64)  # the status line: the stream is open (and nothing more is read)
    if not first.startswith(b"HTTP/1.1 200"):
        sys.exit("stream refused: %r" % first)
    sockets.append(s)
print("READY", flush=True)
time.sleep(600)
