#!/usr/bin/env python3
"""TCP listeners and bounded connection probes for the migfw testbed.

listen PORT...      bind every port (dual stack, ::), then detach and accept forever;
                    returns once all ports are bound, so a caller may probe at once.
probe [-t SECONDS] ADDR,PORT...
                    connect to every target at the same time and print one line per
                    target: "ADDR PORT RESULT", RESULT one of
                      open        the handshake completed
                      refused     RST: reachable, nothing listening
                      timeout     no answer within the bound: dropped on the way
                      blocked     EPERM/EACCES from connect(): a local output filter
                      unreachable ICMP unreachable (or no route)
                    A link-local ADDR carries its zone: fe80::1%eth0.
relay PORT ADDR,PORT
                    a forwarder (as `ssh -L` on a gateway would be): listens on PORT (dual
                    stack), detaches; for each client it connects to ADDR,PORT (1 s bound)
                    and answers the client one line, "relayed" or "failed"
relayed ADDR,PORT   asks the relay at ADDR,PORT: prints "ADDR PORT relayed|failed|timeout"

Kept dependency-free (standard library only): it runs inside bare network namespaces.
"""
import errno
import os
import select
import socket
import sys
import time


def sockaddr(address, port):
    """The socket address of ADDR (a link-local one with its %zone) and PORT."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    info = socket.getaddrinfo(address, int(port), family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    return family, info[0][4]


def detach(keep_sockets):
    """Forks into the background; the caller's pipes close so it does not wait for us."""
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    keep = {s.fileno() for s in keep_sockets} | {0, 1, 2}
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass


def dual_stack_listener(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(128)
    return s


def relay(port, target):
    address, target_port = target.rsplit(",", 1)
    listener = dual_stack_listener(port)
    print(f"relaying {port} to {target}", flush=True)
    detach([listener])
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            continue
        family, target_address = sockaddr(address, target_port)
        upstream = socket.socket(family, socket.SOCK_STREAM)
        upstream.settimeout(1.0)
        try:
            upstream.connect(target_address)
            answer = b"relayed\n"
        except OSError:
            answer = b"failed\n"
        upstream.close()
        try:
            client.sendall(answer)
        except OSError:
            pass
        client.close()


def relayed(target, timeout=3.0):
    address, port = target.rsplit(",", 1)
    family, target_address = sockaddr(address, port)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(target_address)
        answer = s.makefile().readline().strip() or "failed"
    except OSError:
        answer = "timeout"
    s.close()
    print(f"{address} {port} {answer}")


def listen(ports):
    sockets = [dual_stack_listener(port) for port in ports]
    for s in sockets:
        s.setblocking(False)
    print("listening on " + " ".join(str(p) for p in ports), flush=True)
    # Detach: the caller's pipes (and the socket Foundation's Process uses to see its child
    # exit) must close, or our caller waits for us forever; the testbed kills us by
    # namespace (ip netns pids) when it goes down.
    detach(sockets)
    poller = select.poll()
    by_fd = {s.fileno(): s for s in sockets}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            try:
                conn, _ = by_fd[fd].accept()
                conn.close()
            except OSError:
                pass


def classify(err):
    if err == 0:
        return "open"
    if err == errno.ECONNREFUSED:
        return "refused"
    if err in (errno.EPERM, errno.EACCES):
        return "blocked"
    if err in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL):
        return "unreachable"
    return errno.errorcode.get(err, str(err)).lower()


def probe(timeout, targets):
    pending = {}
    results = {}
    for index, target in enumerate(targets):
        address, port = target.rsplit(",", 1)
        family, target_address = sockaddr(address, port)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(target_address)
        if err == errno.EINPROGRESS:
            pending[s.fileno()] = (index, s)
        else:
            results[index] = classify(err)
            s.close()
    deadline = time.monotonic() + timeout
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        for fd, _ in poller.poll(remaining * 1000):
            index, s = pending.pop(fd)
            poller.unregister(fd)
            results[index] = classify(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
            s.close()
    for index, s in pending.values():
        results[index] = "timeout"
        s.close()
    for index, target in enumerate(targets):
        address, port = target.rsplit(",", 1)
        print(f"{address} {port} {results[index]}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "listen":
        listen([int(p) for p in argv[1:]])
    elif len(argv) == 3 and argv[0] == "relay":
        relay(int(argv[1]), argv[2])
    elif len(argv) == 2 and argv[0] == "relayed":
        relayed(argv[1])
    elif len(argv) >= 1 and argv[0] == "probe":
        timeout, rest = 1.0, argv[1:]
        if len(rest) >= 2 and rest[0] == "-t":
            timeout, rest = float(rest[1]), rest[2:]
        probe(timeout, rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
