# Shared by the python3-libvirt blocks of the libvirt tests (run from the
# repository's top: sys.path.insert(0, "tests"); from lvpy import ...):
# libvirt's error printing off, a connection to domusd's socket, and
# code(f): libvirt's error code of calling f (0 when it succeeds).
import libvirt

libvirt.registerErrorHandler(lambda c, e: None, None)


def connect(sock):
    return libvirt.open("domus+unix:///system?socket=" + sock)


def code(f):
    try:
        f()
    except libvirt.libvirtError as e:
        return e.get_error_code()
    return 0
