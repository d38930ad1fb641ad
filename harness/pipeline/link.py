"""A radio link's cost from its datasheet numbers (provenance `energy-model`, never measured).

Bytes go in LL packets of `payload_bytes_per_packet`; each packet is on air for
(payload + overhead) * 8 / phy seconds, then T_IFS, the peer's empty packet, T_IFS again.
Energy is the sender's radio TX current x voltage over its on-air time: a lower bound
(ramp-up, RX of the peer's packet and the CPU's share are left out and say so).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..target_schema import LinkSpec

__all__ = ["Transfer", "transfer"]


@dataclass(frozen=True)
class Transfer:
    nbytes: int
    packets: int
    seconds: float
    joules: float


def transfer(link: LinkSpec, nbytes: int) -> Transfer:
    """Time and TX energy of sending `nbytes` (0 bytes: nothing sent, no cost)."""
    if nbytes <= 0:
        return Transfer(0, 0, 0.0, 0.0)
    packets = math.ceil(nbytes / link.payload_bytes_per_packet)
    on_air_bits = 8 * (nbytes + packets * link.overhead_bytes_per_packet)
    tx_s = on_air_bits / link.phy_bits_per_s
    seconds = tx_s + packets * (2 * link.ifs_s + 8 * link.ack_bytes / link.phy_bits_per_s)
    return Transfer(nbytes, packets, seconds, tx_s * link.tx_current_a * link.volts)


def describe(link: LinkSpec) -> str:
    return (f"{link.kind} model: {link.phy_bits_per_s / 1e6:g} Mbit/s PHY, "
            f"{link.payload_bytes_per_packet}+{link.overhead_bytes_per_packet} bytes per packet, "
            f"TX {link.tx_current_a * 1e3:g} mA at {link.volts:g} V (TX on-air energy only); "
            f"source: {link.datasheet}")
