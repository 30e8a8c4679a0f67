package io.streamrag.ingest.extract;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Counts the scans (SOS segments) of an encoded JPEG from its markers alone, without decoding it. */
final class JpegScans {

    /** Real encoders write 1 scan (baseline) to ~10 (libjpeg's progressive script; mozjpeg a few more); each costs a pass over every block. */
    static final int MAX = 64;

    private JpegScans() {}

    /**
     * The SOS segments before the first EOI (where the decoder stops), as libjpeg finds markers: segment lengths are
     * honoured, bytes outside segments (entropy-coded data, garbage) are skipped up to the next 0xFF that is not a
     * stuffed data byte (0xFF00), fill (0xFFFF) or restart marker (RSTn). Stops counting past {@code stopAfter}, so it
     * returns at most {@code stopAfter + 1}; reads the stream at most once through.
     */
    static int count(InputStream stream, int stopAfter) throws IOException {
        InputStream in = new BufferedInputStream(stream, 8192);
        int scans = 0;
        int c = in.read();
        while (c >= 0) {
            if (c != 0xFF) {
                c = in.read();
                continue;
            }
            do {
                c = in.read();
            } while (c == 0xFF);
            if (c < 0 || c == 0xD9) { // end of data, EOI
                break;
            }
            if (c == 0x00 || c == 0x01 || (c >= 0xD0 && c <= 0xD8)) { // stuffed byte, TEM, RSTn, SOI: no segment follows
                c = in.read();
                continue;
            }
            int hi = in.read();
            int lo = in.read();
            int length = hi << 8 | lo;
            if (lo < 0 || length < 2) { // truncated or malformed: libjpeg stops here too
                break;
            }
            if (c == 0xDA && ++scans > stopAfter) {
                break;
            }
            try {
                in.skipNBytes(length - 2); // an SOS's header; its entropy-coded data follows, skipped by the loop
            } catch (EOFException e) {
                break;
            }
            c = in.read();
        }
        return scans;
    }
}
