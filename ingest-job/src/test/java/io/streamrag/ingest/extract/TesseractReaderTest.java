package io.streamrag.ingest.extract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The tesseract process: its text read back, and never left running when the reading thread is interrupted. */
class TesseractReaderTest {

    @TempDir
    Path dir;

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void readsWhatTheCommandWritesToStdout() throws Exception {
        Path echo = script("fake-tesseract", "printf '  words of the image \\n'");
        assertThat(new TesseractReader(echo.toString(), "eng", Duration.ofSeconds(30)).read(new byte[] {1})).isEqualTo("words of the image");
    }

    @Test
    void anInterruptedReadLeavesNoProcessBehind() throws Exception {
        Path slow = script("slow-tesseract", "exec sleep 60");
        TesseractReader reader = new TesseractReader(slow.toString(), "eng", Duration.ofMinutes(5));
        Thread[] reading = new Thread[1];
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            reading[0] = Thread.currentThread();
            try {
                reader.read(new byte[] {1});
            } catch (Exception expected) {
                // interrupted
            }
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (children() == 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(children()).as("tesseract started").isEqualTo(1);
        reading[0].interrupt(); // as the OCR pool's shutdownNow does
        done.get(20, TimeUnit.SECONDS);
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (children() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(children()).as("tesseract processes left running").isZero();
    }

    private static long children() {
        return ProcessHandle.current().children().filter(p -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false)).count();
    }
}
