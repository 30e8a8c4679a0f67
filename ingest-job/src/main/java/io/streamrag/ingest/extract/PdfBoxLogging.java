package io.streamrag.ingest.extract;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Quiets PDFBox/FontBox, which warn thousands of times per real manual about fonts, whatever logging backend is used. */
public final class PdfBoxLogging {

    // JUL keeps loggers weakly: hold them so the level sticks.
    private static final Logger[] JUL = {Logger.getLogger("org.apache.pdfbox"), Logger.getLogger("org.apache.fontbox")};
    private static volatile boolean done;

    private PdfBoxLogging() {}

    public static void quiet() {
        if (done) {
            return;
        }
        for (Logger l : JUL) {
            l.setLevel(Level.SEVERE);
        }
        try {
            // commons-logging 1.3 prefers Log4j API when present: set the level there too (log4j-core is provided by Flink).
            org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.pdfbox", org.apache.logging.log4j.Level.ERROR);
            org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.fontbox", org.apache.logging.log4j.Level.ERROR);
        } catch (Throwable ignored) {
            // No log4j-core on this classpath: JUL levels above are enough.
        }
        done = true;
    }
}
