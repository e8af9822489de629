"""CRC-32C (Castagnoli), the checksum of every shard header, record, index and trailer.

Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value 0xFFFFFFFF, reflected, final
XOR 0xFFFFFFFF; ``crc32c(b"123456789") == 0xE3069283``.

:func:`crc32c` is the fastest implementation available, in this order (:data:`IMPLEMENTATION`
names it):

1. the ``crc32c`` package (``pip install crc32c``; SSE 4.2 / ARMv8 instructions):
   7-26 GB/s on 3 KB-3 MB inputs;
2. ``google-crc32c``;
3. :func:`crc32c_numpy`: numpy, always there with this package: thousands of chunks of the
   input run through the table in lock step, then their CRCs are combined: 16 MB/s on 3 KB,
   110-190 MB/s on 30 KB-3 MB;
4. :func:`crc32c_python`: the standard library only, 3-10 MB/s, for the command-line
   reader (``Tools/read_shard.py``) where numpy may be missing.

(Measured on the project's 2-core machine while it was busy with builds, so lower bounds.)
"""
import sys

_POLYNOMIAL = 0x82F63B78
_LITTLE_ENDIAN = sys.byteorder == "little"


def _byte_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _byte_table()


def crc32c_python(data, crc=0):
    """CRC-32C of ``data`` (bytes-like), continuing from ``crc`` (a previous result, or 0)."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in memoryview(data).cast("B"):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class _LockStep:
    """The numpy implementation's tables and the zero-run operators it combines CRCs with.

    A CRC register run from 0 over a message is linear in the message, so the message is cut
    into C chunks of L bytes (zeros in front, which leave a zero register unchanged, pad it
    to C L; the initial value is XORed into the first four bytes instead of the register),
    all C registers advance together one 32-bit word per step, and pairs are then combined:
    register(A + B) = Z_|B|(register(A)) ^ register(B), with Z_m the linear map of m zero
    bytes, kept as four 256-entry tables per power of two.
    """

    def __init__(self, np):
        self.np = np
        t0 = np.array(_TABLE, dtype=np.uint32)
        tables = [t0]
        for _ in range(3):
            previous = tables[-1]
            tables.append((previous >> np.uint32(8)) ^ t0[previous & np.uint32(0xFF)])
        # Slicing by 4: the word's lowest byte is 3 steps further from the end than its highest.
        self.word_tables = tables[3], tables[2], tables[1], tables[0]
        columns = (np.uint32(1) << np.arange(32, dtype=np.uint32))
        one_byte = t0[columns & np.uint32(0xFF)] ^ (columns >> np.uint32(8))
        self.zero_runs = [self._tables_of(one_byte)]  # zero_runs[k]: 2^k zero bytes

    def _tables_of(self, columns):
        """Four byte tables of the 32x32 GF(2) matrix whose column j is ``columns[j]``."""
        np = self.np
        tables = []
        for k in range(4):
            table = np.zeros(1, dtype=np.uint32)
            for bit in range(8):
                table = np.concatenate([table, table ^ columns[8 * k + bit]])
            tables.append(table)
        return tables

    def _apply(self, tables, x):
        """``tables`` applied to each uint32 of ``x``: one lookup per byte, little-endian."""
        take = self.np.take
        t0, t1, t2, t3 = tables
        b = self.np.ascontiguousarray(x).view(self.np.uint8).reshape(-1, 4)
        return take(t0, b[:, 0]) ^ take(t1, b[:, 1]) ^ take(t2, b[:, 2]) ^ take(t3, b[:, 3])

    def zero_run(self, log2):
        """The tables of 2^log2 zero bytes."""
        while len(self.zero_runs) <= log2:
            tables = self.zero_runs[-1]
            columns = self._apply(tables, self._apply(tables, self.np.uint32(1) << self.np.arange(32, dtype=self.np.uint32)))
            self.zero_runs.append(self._tables_of(columns))
        return self.zero_runs[log2]

    def checksum(self, data, crc):
        np = self.np
        n = len(data)
        # L = 64 bytes (16 lock steps, then log2(C) combining levels) up to C = 4096 chunks;
        # longer chunks beyond, so the registers stay in cache.
        size_log2 = (n - 1).bit_length()
        chunk_log2 = max(6, size_log2 - 12)
        chunks = 1 << max(0, size_log2 - chunk_log2)
        chunk = 1 << chunk_log2
        padded = np.zeros(chunks * chunk, dtype=np.uint8)
        padded[padded.size - n:] = np.frombuffer(data, dtype=np.uint8)
        start = padded.size - n
        initial = (crc ^ 0xFFFFFFFF).to_bytes(4, "little")
        padded[start:start + 4] ^= np.frombuffer(initial, dtype=np.uint8)
        # Word w of every chunk, contiguous: row w.
        words = np.ascontiguousarray(padded.view("<u4").reshape(chunks, chunk // 4).T)
        register = np.zeros(chunks, dtype=np.uint32)
        for column in range(chunk // 4):
            register = self._apply(self.word_tables, register ^ words[column])
        level = chunk_log2
        while register.size > 1:
            register = self._apply(self.zero_run(level), register[0::2]) ^ register[1::2]
            level += 1
        return int(register[0]) ^ 0xFFFFFFFF


_lock_step = None


def crc32c_numpy(data, crc=0):
    """CRC-32C of ``data`` (bytes-like), continuing from ``crc``, vectorised with numpy."""
    global _lock_step
    data = memoryview(data).cast("B")
    if len(data) < 256 or not _LITTLE_ENDIAN:
        return crc32c_python(data, crc)
    if _lock_step is None:
        import numpy

        _lock_step = _LockStep(numpy)
    return _lock_step.checksum(data, crc)


def _fastest():
    try:
        import crc32c as package  # ICRAR's crc32c: hardware instructions

        if package.crc32c(b"123456789") == 0xE3069283:
            return (lambda data, crc=0: package.crc32c(data, crc)), "crc32c"
    except (ImportError, AttributeError, TypeError):
        pass
    try:
        import google_crc32c as package

        if package.value(b"123456789") == 0xE3069283:
            return (lambda data, crc=0: package.extend(crc, bytes(data))), "google-crc32c"
    except (ImportError, AttributeError, TypeError):
        pass
    try:
        import numpy  # noqa: F401

        return crc32c_numpy, "numpy"
    except ImportError:
        return crc32c_python, "python"


crc32c, IMPLEMENTATION = _fastest()
