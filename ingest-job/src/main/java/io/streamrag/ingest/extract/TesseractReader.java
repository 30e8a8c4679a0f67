package io.streamrag.ingest.extract;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** OCR through the {@code tesseract IMAGE stdout} command: offline, no native bindings, killed on timeout. */
public class TesseractReader implements ImageTextReader {

    private final String command;
    private final String language;
    private final Duration timeout;

    public TesseractReader(String command, String language, Duration timeout) {
        this.command = command;
        this.language = language;
        this.timeout = timeout;
    }

    @Override
    public String read(byte[] imageBytes) throws Exception {
        Path file = Files.createTempFile("streamrag-ocr-", ".img");
        try {
            Files.write(file, imageBytes);
            ProcessBuilder pb = new ProcessBuilder(command, file.toString(), "stdout", "-l", language);
            // One OpenMP thread is ~3x faster on 2 cores than letting tesseract fight itself for them.
            pb.environment().put("OMP_THREAD_LIMIT", "1");
            pb.redirectErrorStream(false);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process process = pb.start();
            CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("tesseract timed out after " + timeout);
            }
            if (process.exitValue() != 0) {
                throw new IOException("tesseract exited with " + process.exitValue());
            }
            return new String(stdout.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
