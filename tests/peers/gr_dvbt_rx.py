#!/usr/bin/python3
"""GNU Radio's DVB-T receiver (gr-dtv blocks) as a peer for linkscope's COFDM receiver.

The chain is the inverse of gr-dtv's transmitter (and of the one that made the captures in
../shared/captures/gnuradio): symbol acquisition -> forward FFT (shifted) -> reference-signal
demodulation (pilots, TPS, equalisation) -> demap -> symbol de-interleaver -> bit de-interleaver
-> Viterbi -> outer (Forney) de-interleaver -> RS(204,188) -> energy descrambling -> TS file.
gr-dtv has no blind mode: the parameters must be given. The input must be at the elementary
rate (8/7 x the channel bandwidth); gr-dtv has no bandwidth parameter.

What it loses (measured, GNU Radio 3.10.5): nothing is written before the first superframe
start (frame 4 for 8K 64QAM) that follows about 70 symbols of signal, and the last 112 packets
its RS decoder delivers never leave the energy descrambler when the input ends. What it writes
is byte-identical to the source TS.

Run with the system Python that has GNU Radio 3.10 (not a pyenv):

    /usr/bin/python3 tests/peers/gr_dvbt_rx.py CAPTURE.sigmf-data --format ci16_le \
        --mode 2k --guard 1/8 --constellation 16qam --rate 2/3 -o out.ts

Prints one JSON line: wall_s (tb.run() only, not the imports or the flowgraph's construction),
cpu_s (CPU time of all the flowgraph's threads over the same span), samples (complex samples
read), packets (188-byte TS packets written); with --truth SRC.ts also first_index (where the
first packet written is in SRC.ts) and matched (how many packets from there are identical).
"""

import argparse
import json
import os
import time

from gnuradio import blocks, dtv, fft, gr
from gnuradio.fft import window

MODES = {"2k": (dtv.T2k, 2048, 1705, 1512), "8k": (dtv.T8k, 8192, 6817, 6048)}
GUARDS = {"1/4": (dtv.GI_1_4, 4), "1/8": (dtv.GI_1_8, 8),
          "1/16": (dtv.GI_1_16, 16), "1/32": (dtv.GI_1_32, 32)}
CONSTELLATIONS = {"qpsk": dtv.MOD_QPSK, "16qam": dtv.MOD_16QAM, "64qam": dtv.MOD_64QAM}
RATES = {"1/2": dtv.C1_2, "2/3": dtv.C2_3, "3/4": dtv.C3_4, "5/6": dtv.C5_6, "7/8": dtv.C7_8}
SAMPLE_BYTES = {"ci16_le": 4, "cf32_le": 8}


def flowgraph(a):
    mode, fft_len, carriers, payload = MODES[a.mode]
    gi, gi_div = GUARDS[a.guard]
    const = CONSTELLATIONS[a.constellation]
    rate = RATES[a.rate]
    tb = gr.top_block("gr_dvbt_rx")
    if a.format == "ci16_le":
        src = blocks.file_source(gr.sizeof_short, a.input)
        # scale_factor divides: full scale 32767 counts -> 1.0.
        conv = blocks.interleaved_short_to_complex(False, False, 32768.0)
        tb.connect(src, conv)
    else:
        src = conv = blocks.file_source(gr.sizeof_gr_complex, a.input)
    chain = [
        conv,
        dtv.dvbt_ofdm_sym_acquisition(1, fft_len, carriers, fft_len // gi_div, 30.0),
        # Forward, shifted (DC in the middle), the bin order the demodulator expects.
        fft.fft_vcc(fft_len, True, window.rectangular(fft_len), True, 1),
        # LP rate = HP rate, as gr-dtv's transmitter signals it (non-hierarchical). The cell id
        # need not match: 0 here decodes signals carrying 0x1A2B, 0x0BEE or none.
        dtv.dvbt_demod_reference_signals(gr.sizeof_gr_complex, fft_len, payload, const, dtv.NH,
                                         rate, rate, gi, mode, 1, 0),
        dtv.dvbt_demap(payload, const, dtv.NH, mode, 1.0),
        dtv.dvbt_symbol_inner_interleaver(payload, mode, 0),  # 0 = de-interleave
        dtv.dvbt_bit_inner_deinterleaver(payload, const, dtv.NH, mode),
        blocks.vector_to_stream(gr.sizeof_char, payload),
        # Block size 768 as in gr-dtv's example; the output is the same for 8 ... 768.
        dtv.dvbt_viterbi_decoder(const, dtv.NH, rate, 768),
        dtv.dvbt_convolutional_deinterleaver(136, 12, 17),
        dtv.dvbt_reed_solomon_dec(2, 8, 0x11D, 255, 239, 8, 51, 8),
        dtv.dvbt_energy_descramble(8),
        blocks.file_sink(gr.sizeof_char, a.output, False),
    ]
    tb.connect(*chain)
    return tb


def locate(output, truth):
    """Where the received packets lie in the source TS: the source index of the first one and
    how many received packets are identical to the source from there on, in order."""
    with open(output, "rb") as f:
        got = f.read()
    with open(truth, "rb") as f:
        src = f.read()
    if len(got) < 188:
        return {"first_index": None, "matched": 0}
    first = next((i for i in range(len(src) // 188) if src[i * 188:(i + 1) * 188] == got[:188]),
                 None)
    if first is None:
        return {"first_index": None, "matched": 0}
    matched = 0
    while (matched < len(got) // 188 and
           got[matched * 188:(matched + 1) * 188] ==
           src[(first + matched) * 188:(first + matched + 1) * 188]):
        matched += 1
    return {"first_index": first, "matched": matched}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", help="raw IQ file (e.g. a .sigmf-data)")
    p.add_argument("--format", choices=sorted(SAMPLE_BYTES), required=True)
    p.add_argument("--mode", choices=sorted(MODES), required=True)
    p.add_argument("--guard", choices=sorted(GUARDS), required=True)
    p.add_argument("--constellation", choices=sorted(CONSTELLATIONS), required=True)
    p.add_argument("--rate", choices=sorted(RATES), required=True)
    p.add_argument("-o", "--output", required=True, help="TS file to write")
    p.add_argument("--truth", help="source TS: also report where the output lies in it")
    a = p.parse_args()
    # The vector buffers' alignment warnings say nothing about decoding: errors only.
    gr.logging().set_default_level(gr.log_levels.err)
    tb = flowgraph(a)
    t0, c0 = time.perf_counter(), time.process_time()
    tb.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    samples = os.path.getsize(a.input) // SAMPLE_BYTES[a.format]
    packets = os.path.getsize(a.output) // 188
    result = {"wall_s": wall, "cpu_s": cpu, "samples": samples, "packets": packets}
    if a.truth:
        result.update(locate(a.output, a.truth))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
