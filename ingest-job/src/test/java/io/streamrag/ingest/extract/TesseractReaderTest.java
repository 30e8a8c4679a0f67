package io.streamrag.ingest.extract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tesseract process: its text read back, why it failed, only the environment it needs (not the job's secrets), and never left
 * running when the reading thread is interrupted.
 */
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
    void aFailureSaysWhyInTheEndOfWhatTesseractWroteToStandardError() throws Exception {
        // As tesseract 5 does for a missing language: a long warning first, the reason last, exit 1.
        Path failing = script("failing-tesseract", "i=0; while [ $i -lt 2000 ]; do echo 'Warning: estimating resolution' >&2; i=$((i+1)); done\n"
                + "printf 'Failed loading language \\047xx\\047\\nCould not initialize tesseract.\\n' >&2; exit 1");
        assertThatThrownBy(() -> new TesseractReader(failing.toString(), "xx", Duration.ofSeconds(30)).read(new byte[] {1}))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("tesseract exited with 1: ...")
                .hasMessageEndingWith("Failed loading language 'xx' Could not initialize tesseract.")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThanOrEqualTo("tesseract exited with 1: ...".length() + TesseractReader.ERROR_TAIL_CHARS)
                        .doesNotContain("\n"));

        Path silent = script("silent-tesseract", "exit 3");
        assertThatThrownBy(() -> new TesseractReader(silent.toString(), "eng", Duration.ofSeconds(30)).read(new byte[] {1}))
                .hasMessage("tesseract exited with 3");
    }

    @Test
    void tesseractGetsOnlyTheVariablesItNeedsNotTheJobsSecrets() throws Exception {
        // /proc/$$/environ: the environment the process was started with, before the shell adds its own (PWD).
        Path env = script("env-tesseract", "tr '\\0' '\\n' < /proc/$$/environ");
        String out = new TesseractReader(env.toString(), "eng", Duration.ofSeconds(30)).read(new byte[] {1});
        Map<String, String> child = new TreeMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                child.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Set<String> allowed = Set.of("PATH", "LD_LIBRARY_PATH", "TESSDATA_PREFIX", "OMP_THREAD_LIMIT", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR");
        assertThat(allowed).containsAll(TesseractReader.PASSED_ENV);
        // The test JVM has more than that (HOME at least), as a TaskManager has its secrets (envFrom streamrag-secrets).
        assertThat(System.getenv().keySet()).as("the test JVM's environment").anyMatch(name -> !allowed.contains(name));
        assertThat(allowed).containsAll(child.keySet());
        assertThat(child.keySet()).noneMatch(name -> name.startsWith("AWS_") || name.endsWith("_PASSWORD") || name.endsWith("_KEY"));
        assertThat(child).containsEntry("OMP_THREAD_LIMIT", "1").containsEntry("PATH", System.getenv("PATH"));
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

    /**
     * A temp file that cannot be made (the disk full, the temp directory gone) leaves none of those made before it:
     * they were made before the try that deletes them, so each failed read left one or two behind.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void aTempFileThatCannotBeMadeLeavesNoneBehind(int failing) throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        AtomicInteger made = new AtomicInteger();
        TesseractReader reader = new TesseractReader("true", "eng", Duration.ofSeconds(30), suffix -> {
            if (made.incrementAndGet() == failing) {
                throw new IOException("No space left on device");
            }
            return Files.createTempFile(tmp, "streamrag-ocr-", suffix);
        });
        assertThatThrownBy(() -> reader.read(new byte[] {1})).hasMessage("No space left on device");
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }

    private static long children() {
        return ProcessHandle.current().children().filter(p -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false)).count();
    }
}
