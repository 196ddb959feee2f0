#!/usr/bin/env python3
"""hold.py BIN: what it takes to refuse service, against a real `kashimap serve`.

1. Idle connections: opens IDLE (default 2000) idle TCP connections from 127.0.0.1, while
   the server runs under `ulimit -n 1024` (systemd's default), then times a GET /healthz
   from another address (127.0.0.2). Before issue 16 every new client timed out.
2. A lockout burst: 200 parallel wrong sign-ins for one user from one address, then the
   right password; prints how many were checked (401), refused (429) and the burst's time.
Prints BENCH lines. Uses a fresh data folder under $BENCH_DIR (default /tmp/kashimap-bench).
"""
import concurrent.futures
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

BIN = sys.argv[1]
IDLE = int(os.environ.get("IDLE", "2000"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(os.environ.get("BENCH_DIR", "/tmp/kashimap-bench"), "hold")
PASSWORD = "correct horse battery staple 42"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path, source="127.0.0.2", timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return int(data.split(b" ")[1])


def login(port, password):
    body = json.dumps({"username": "bench", "password": password}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/auth/login", body,
                                 {"content-type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=60).status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    var = os.path.join(WORK, "var")
    subprocess.run([BIN, "--data-dir", var, "user", "add", "bench", "--password-stdin"],
                   input=PASSWORD.encode(), cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        ["bash", "-c", f'ulimit -n 1024; exec "{BIN}" --data-dir "{var}" serve --addr 127.0.0.1:{port}'],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, "server.log"), "w"))
    try:
        for _ in range(600):
            try:
                if get(port, "/readyz", timeout=1) == 200:
                    break
            except OSError:
                time.sleep(0.2)
        idle = []
        for _ in range(IDLE):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                break
        time.sleep(1)
        t = time.monotonic()
        try:
            status = get(port, "/healthz")
        except OSError as e:
            status = f"error:{e}"
        took = time.monotonic() - t
        print(f"BENCH hold idle_connections={len(idle)} other_client_status={status} seconds={took:.3f}")
        for s in idle:
            s.close()
        time.sleep(1)
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(200) as pool:
            statuses = list(pool.map(lambda _: login(port, "wrong password"), range(200)))
        burst = time.monotonic() - t
        right = login(port, PASSWORD)
        print(f"BENCH lockout_burst parallel=200 checked_401={statuses.count(401)} "
              f"refused_429={statuses.count(429)} seconds={burst:.2f} right_password_after={right}")
    finally:
        server.terminate()
        server.wait()


main()
