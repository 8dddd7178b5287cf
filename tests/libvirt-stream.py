#!/usr/bin/python3
# domusd's console streams (DOMAIN_OPEN_CONSOLE) at the protocol level and
# through the stock virsh under a pseudo-terminal, against the stand-in
# launcher of tests/suites/35-libvirt (tests/fake-launcher: its console is
# a little shell answering "echo WORDS" and "flood N").  Prints one
# PASS/FAIL line per test, as tests/lib.sh does.
#   tests/libvirt-stream.py SOCK ROSOCK DOMUSD_PID DOMAIN
import os, pty, select, signal, socket, struct, subprocess, sys, time

sock, rosock, dpid, dom = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
URI = "domus+unix:///system?socket=" + sock
PROG, CALL, REPLY, STREAM = 0x20008086, 0, 1, 3
OK, ERROR, CONTINUE = 0, 1, 2
OPEN, LOOKUP, OPEN_CONSOLE, GET_TYPE = 1, 23, 201, 3
failed = False


def result(name, ok, why=""):
    global failed
    if ok:
        print(f"PASS: libvirt/{name}", flush=True)
    else:
        failed = True
        print(f"FAIL: libvirt/{name}: {why}", flush=True)


def xstr(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


class Client:
    def __init__(self, path=sock):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.serial = 0
        self.buf = b""

    def send(self, proc, body=b"", type_=CALL, serial=None, status=OK):
        if serial is None:
            serial, self.serial = self.serial, self.serial + 1
        hdr = struct.pack(">IIiIII", PROG, 1, proc, type_, serial, status)
        self.s.sendall(struct.pack(">I", 28 + len(body)) + hdr + body)
        return serial

    def recv(self, timeout=30):
        """One packet: (proc, type, serial, status, payload), or None on EOF/timeout."""
        self.s.settimeout(timeout)
        try:
            while len(self.buf) < 4 or len(self.buf) < struct.unpack(">I", self.buf[:4])[0]:
                d = self.s.recv(65536)
                if not d:
                    return None
                self.buf += d
        except socket.timeout:
            return None
        n = struct.unpack(">I", self.buf[:4])[0]
        pkt, self.buf = self.buf[:n], self.buf[n:]
        prog, vers, proc, type_, serial, status = struct.unpack(">IIiIII", pkt[4:28])
        return proc, type_, serial, status, pkt[28:]

    def reply(self, serial, timeout=30):
        """The REPLY to @serial (stream packets before it are kept aside)."""
        while True:
            p = self.recv(timeout)
            if p is None or (p[1] == REPLY and p[2] == serial):
                return p

    def call(self, proc, body=b""):
        return self.reply(self.send(proc, body))

    def open(self):
        p = self.call(OPEN, struct.pack(">I", 1) + xstr("domus:///system") + struct.pack(">I", 0))
        assert p and p[3] == OK, p
        p = self.call(LOOKUP, xstr(dom))
        assert p and p[3] == OK, p
        self.dom = p[4]		# remote_nonnull_domain, as returned
        return self

    def console(self, flags=0, dev=None):
        body = self.dom + (struct.pack(">I", 1) + xstr(dev) if dev else struct.pack(">I", 0)) + struct.pack(">I", flags)
        serial = self.send(OPEN_CONSOLE, body)
        p = self.reply(serial)
        if p and p[3] == OK:
            self.cserial = serial	# the stream's serial: the open that worked
        return p

    def wait_end(self, timeout=20):
        """Stream data until the console's end (an empty CONTINUE): True if it came."""
        end = time.time() + timeout
        while time.time() < end:
            p = self.recv(max(0.1, end - time.time()))
            if p is None:
                return False
            if p[1] == STREAM and p[3] == CONTINUE and p[4] == b"":
                return True
        return False

    def data(self, b):
        self.send(OPEN_CONSOLE, b, STREAM, self.cserial, CONTINUE)

    def read_until(self, want, timeout=20):
        """Stream data until @want is in it: (text, ok, packets)."""
        got, pkts, end = b"", [], time.time() + timeout
        while want not in got and time.time() < end:
            p = self.recv(max(0.1, end - time.time()))
            if p is None:
                break
            pkts.append(p)
            if p[1] == STREAM:
                got += p[4]
        return got, want in got, pkts

    def close(self):
        self.s.close()


def err_code(p):
    return struct.unpack(">i", p[4][:4])[0] if p and p[3] == ERROR else None


def rss():
    with open(f"/proc/{dpid}/status") as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])


# ---- the protocol ----
a = Client().open()
p = a.console()
result("stream-open", p is not None and p[3] == OK and p[4] == b"", f"reply {p}")
got, ok, pkts = a.read_until(b"# ")
result("stream-output", ok and b"fake console of " + dom.encode() in got and
       all(q[0] == OPEN_CONSOLE and q[1] == STREAM and q[2] == a.cserial and q[3] == CONTINUE for q in pkts),
       f"got {got!r}, packets {[q[:4] for q in pkts]}")
a.data(b"echo hello-stream\r")
got, ok, _ = a.read_until(b"\r\nhello-stream\r\n")
result("stream-input-echo", ok, f"got {got!r}")

b = Client().open()
p = b.console()
result("stream-second-refused", err_code(p) == 9 and b"Active console session exists" in p[4], f"reply {p}")
p = a.console()
result("stream-same-connection-refused", err_code(p) == 9 and b"console stream open already" in p[4], f"reply {p}")
p = b.console(flags=4)
q = b.console(dev="nosuch")
result("stream-bad-flags-and-device", err_code(p) == 8 and err_code(q) == 8 and b"nosuch" in q[4], f"{p} {q}")
r = Client(rosock).open()
p = r.console()
result("stream-readonly-refused", err_code(p) == 6, f"reply {p}")
r.close()

# force: b takes the console over; a sees the end (an empty CONTINUE) and finishes
p = b.console(flags=1)
got, ok, _ = b.read_until(b"# ") if p and p[3] == OK else (b"", False, [])
ends = a.wait_end()
result("stream-force-takes-over", p and p[3] == OK and ok and ends, f"reply {p}, b got {got!r}, a's end {ends}")
fin = a.send(OPEN_CONSOLE, b"", STREAM, a.cserial, OK)
q = a.recv(10)
result("stream-finish-confirmed", q is not None and q[1:] == (STREAM, fin, OK, b"") and q[0] == OPEN_CONSOLE, f"{q}")
# after its finish, a connection may open a console again (and abort it)
a.close()

# flow: b asks for 32 MiB of output and does not read; domusd does not
# buffer it (RSS flat) and serves others; then b reads at its pace
r0 = rss()
b.data(b"flood 33554432\r")
time.sleep(8)
r1 = rss()
c = Client().open()
p = c.call(GET_TYPE)
result("stream-flow-bounded", r1 - r0 < 4096 and p and p[3] == OK, f"RSS {r0} -> {r1} KiB, other client {p}")
sizes, got_bytes, t0 = [], 0, time.time()
while time.time() - t0 < 60:
    q = b.recv(10)
    if q is None:
        break
    if q[1] == STREAM:
        sizes.append(len(q[4]))
        got_bytes += len(q[4])
        if b"flood done" in q[4][-64:]:
            break
result("stream-flow-resumes", sizes and max(sizes) <= 16384 and got_bytes > 1 << 20,
       f"{len(sizes)} packets, {got_bytes} bytes, largest {max(sizes) if sizes else 0}")
# abort (status ERROR) is confirmed as finish is
ab = b.send(OPEN_CONSOLE, b"", STREAM, b.cserial, ERROR)
q = None
for _ in range(10000):
    q = b.recv(10)
    if q is None or (q[1] == STREAM and q[3] == OK):
        break
result("stream-abort-confirmed", q is not None and q[1:4] == (STREAM, ab, OK) and q[4] == b"", f"{q}")
b.close()
# a stream packet for no open stream is dropped; the connection serves on
c.send(OPEN_CONSOLE, b"stray", STREAM, 99, CONTINUE)
p = c.call(GET_TYPE)
result("stream-stray-dropped", p is not None and p[3] == OK, f"{p}")
c.close()

# ---- the stock virsh under a pseudo-terminal: type, see the answer, Ctrl-] ----
def virsh_console(extra=()):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("virsh", ["virsh", "-c", URI, "console", *extra, dom])
    out, end = b"", time.time() + 90	# generous: the machine may be loaded

    def until(want):
        nonlocal out
        while want not in out and time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    return False
        return want in out
    return pid, fd, until, lambda: out


def virsh_exit(pid, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        w, st = os.waitpid(pid, os.WNOHANG)
        if w:
            return os.waitstatus_to_exitcode(st)
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


pid, fd, until, out = virsh_console()
ok1 = until(b"Escape character is")
time.sleep(0.5)
os.write(fd, b"echo virsh-said-this\r")
ok2 = until(b"\r\nvirsh-said-this\r\n")
os.write(fd, b"\x1d")
rc = virsh_exit(pid)
os.close(fd)
state = subprocess.run(["virsh", "-c", URI, "domstate", dom], capture_output=True, text=True, timeout=60).stdout.strip()
result("virsh-console", ok1 and ok2 and rc == 0 and state == "running",
       f"connected {ok1}, answer {ok2}, exit {rc}, state '{state}': {out()[-300:]!r}")

# a holder (a protocol client); virsh without --force is refused, with it takes over
h = Client().open()
p = h.console()
pid, fd, until, out = virsh_console()
until(b"Active console session exists")
until(b"\n")
rc = virsh_exit(pid)
os.close(fd)
refused = rc == 1 and b"Active console session exists" in out()
refused_why = f"exit {rc}: {out()[-200:]!r}"
pid, fd, until, out = virsh_console(["--force"])
ok1 = until(b"Escape character is")
ends = h.wait_end()
os.write(fd, b"\x1d")
rc = virsh_exit(pid)
os.close(fd)
result("virsh-console-force", p and p[3] == OK and refused and ok1 and ends and rc == 0,
       f"holder {p}, refused {refused} ({refused_why}), took over {ok1}, holder's end {ends}, exit {rc}: {out()[-200:]!r}")
h.close()

# the domain ends while virsh is attached: virsh leaves the console by itself
pid, fd, until, out = virsh_console()
ok1 = until(b"Escape character is")
time.sleep(0.5)
d = subprocess.run(["virsh", "-c", URI, "destroy", dom], capture_output=True, text=True, timeout=60)
rc = virsh_exit(pid, 30)
os.close(fd)
result("virsh-console-domain-ends", ok1 and d.returncode == 0 and rc == 0,
       f"connected {ok1}, destroy {d.returncode} {d.stderr.strip()}, virsh exit {rc}: {out()[-200:]!r}")
sys.exit(1 if failed else 0)
