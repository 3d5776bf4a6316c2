#!/usr/bin/env python3
"""Raw Ethernet frames for the bridged-gateway tests: 802.1Q-tagged TCP SYNs that no
VLAN device is needed to send (the test kernel has no 802.1Q module), and a counter of
the SYNs that arrive.

  frame.py send IFACE DSTMAC SRC DST DPORT [--vlan ID]... [--outer-tpid 0xNNNN]
      one TCP SYN from SRC to DST:DPORT (IPv4 or IPv6), with one 802.1Q tag per --vlan
      (outermost first; a second tag makes a QinQ frame); --outer-tpid: the outer tag's
      type (default 0x8100; 0x9100 is an older QinQ type the kernel does not untag)
  frame.py count IFACE DST DPORT SECONDS [DONEFILE]
      prints 1 as soon as a TCP SYN to DST:DPORT arrives on IFACE, 0 if none did within
      SECONDS (after DONEFILE exists, when given: the sender creates it once it has sent,
      so a slow start on a loaded machine does not eat the wait; at most a minute in all).
      Prints "ready" on stderr once the socket is open
"""
import ipaddress
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_syn(src, dst, dport):
    header = struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(header))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(header), 6)
    return header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]


def ip_packet(src, dst, payload):
    if src.version == 4:
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, 6, 0, src.packed, dst.packed)
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        return 0x0800, header + payload
    header = struct.pack("!IHBB16s16s", 6 << 28, len(payload), 6, 64, src.packed, dst.packed)
    return 0x86DD, header + payload


def send(iface, dstmac, src, dst, dport, vlans, outer_tpid=0x8100):
    src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    ethertype, packet = ip_packet(src, dst, tcp_syn(src, dst, dport))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    srcmac = s.getsockname()[4]
    tags = b""
    for index, vlan in enumerate(vlans):
        inner = ethertype if index == len(vlans) - 1 else 0x8100
        tags += struct.pack("!HH", vlan & 0xFFF, inner)
    outer = outer_tpid if vlans else ethertype
    frame = bytes.fromhex(dstmac.replace(":", "")) + srcmac + struct.pack("!H", outer) + tags + packet
    s.send(frame)


def count(iface, dst, dport, seconds, done_file=None):
    dst = ipaddress.ip_address(dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    print("ready", file=sys.stderr, flush=True)
    start = time.monotonic()
    deadline = None if done_file else start + seconds
    seen = 0
    while True:
        now = time.monotonic()
        if deadline is None:
            if os.path.exists(done_file):
                deadline = now + seconds
            elif now - start > 60:
                break
        left = (deadline if deadline is not None else now + 0.1) - now
        if left <= 0:
            break
        s.settimeout(left)
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        # The kernel hands a packet socket the frame without its accelerated tag; an in-band
        # tag is skipped here.
        offset, ethertype = 14, struct.unpack("!H", frame[12:14])[0]
        while ethertype in (0x8100, 0x88A8, 0x9100, 0x9200, 0x9300):
            ethertype = struct.unpack("!H", frame[offset + 2:offset + 4])[0]
            offset += 4
        if ethertype == 0x0800 and dst.version == 4:
            ihl = (frame[offset] & 0xF) * 4
            address, proto, tcp = frame[offset + 16:offset + 20], frame[offset + 9], offset + ihl
        elif ethertype == 0x86DD and dst.version == 6:
            address, proto, tcp = frame[offset + 24:offset + 40], frame[offset + 6], offset + 40
        else:
            continue
        if proto != 6 or address != dst.packed:
            continue
        port, flags = struct.unpack("!H", frame[tcp + 2:tcp + 4])[0], frame[tcp + 13]
        if port == dport and flags & 0x02:
            seen = 1
            break
    print(seen)


def main(argv):
    if len(argv) >= 6 and argv[0] == "send":
        options = list(zip(argv[6::2], argv[7::2]))
        vlans = [int(v) for flag, v in options if flag == "--vlan"]
        outer = [int(v, 16) for flag, v in options if flag == "--outer-tpid"]
        send(argv[1], argv[2], argv[3], argv[4], int(argv[5]), vlans, *outer[-1:])
    elif len(argv) in (5, 6) and argv[0] == "count":
        count(argv[1], argv[2], int(argv[3]), float(argv[4]), argv[5] if len(argv) == 6 else None)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
