package io.streamrag.ingest.extract;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** OCR through the {@code tesseract IMAGE stdout} command: offline, no native bindings, killed on timeout. */
public class TesseractReader implements ImageTextReader {

    /**
     * What tesseract reads from its environment: where its language data is, the locale, temp files; PATH, and
     * LD_LIBRARY_PATH for a tesseract installed under another prefix (/opt, conda), which otherwise exits 127.
     */
    static final Set<String> PASSED_ENV = Set.of("PATH", "LD_LIBRARY_PATH", "TESSDATA_PREFIX", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR");

    /** How much of the end of tesseract's error output a failure's message carries. */
    static final int ERROR_TAIL_CHARS = 300;

    /** Makes one temp file ending in {@code suffix}; a test's can fail part way. */
    interface TempFiles {
        Path create(String suffix) throws IOException;
    }

    private final String command;
    private final String language;
    private final Duration timeout;
    private final TempFiles tempFiles;

    public TesseractReader(String command, String language, Duration timeout) {
        this(command, language, timeout, suffix -> Files.createTempFile("streamrag-ocr-", suffix));
    }

    TesseractReader(String command, String language, Duration timeout, TempFiles tempFiles) {
        this.command = command;
        this.language = language;
        this.timeout = timeout;
        this.tempFiles = tempFiles;
    }

    @Override
    public String read(byte[] imageBytes) throws Exception {
        Path file = null;
        Path text = null;
        Path errors = null;
        Process process = null;
        try {
            // Made inside the try: one that cannot be made (disk full) leaves none of those before it behind.
            file = tempFiles.create(".img");
            // Its text goes to a file read once it has exited: no thread (of the JVM-wide common pool, as before, whose
            // workers the TaskManager's other code shares) has to drain a pipe meanwhile.
            text = tempFiles.create(".txt");
            // Its error output to a file too: why it failed ("Failed loading language", "Unknown format") goes into the
            // dead letter's reason instead of a bare exit code.
            errors = tempFiles.create(".err");
            Files.write(file, imageBytes);
            ProcessBuilder pb = new ProcessBuilder(command, file.toString(), "stdout", "-l", language);
            // It parses untrusted images: it gets what it needs, not the TaskManager's environment with the job's
            // secrets (OpenSearch password, S3 and API keys).
            Map<String, String> env = pb.environment();
            env.keySet().retainAll(PASSED_ENV);
            // One OpenMP thread is ~3x faster on 2 cores than letting tesseract fight itself for them.
            env.put("OMP_THREAD_LIMIT", "1");
            pb.redirectOutput(text.toFile());
            pb.redirectError(errors.toFile());
            process = pb.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("tesseract timed out after " + timeout);
            }
            if (process.exitValue() != 0) {
                throw new IOException("tesseract exited with " + process.exitValue() + errorTail(errors));
            }
            return new String(Files.readAllBytes(text), StandardCharsets.UTF_8).strip(); // lenient on a bad byte
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly(); // interrupted (the OCR pool stopping): no tesseract runs on unwatched
            }
            for (Path p : new Path[] {file, text, errors}) {
                if (p != null) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * ": " and the last {@link #ERROR_TAIL_CHARS} characters of the error output on one line (it ends with the reason;
     * an image can make tesseract warn at length before), or "" when there is none.
     */
    static String errorTail(Path errors) throws IOException {
        byte[] tail;
        try (RandomAccessFile in = new RandomAccessFile(errors.toFile(), "r")) {
            long length = in.length();
            // 4 bytes a character at most in UTF-8: enough bytes for the characters kept, and no more read.
            int read = (int) Math.min(length, ERROR_TAIL_CHARS * 4L);
            in.seek(length - read);
            tail = new byte[read];
            in.readFully(tail);
        }
        String oneLine = new String(tail, StandardCharsets.UTF_8).replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
        if (oneLine.length() > ERROR_TAIL_CHARS) {
            oneLine = "..." + oneLine.substring(oneLine.length() - ERROR_TAIL_CHARS);
        }
        return oneLine.isEmpty() ? "" : ": " + oneLine;
    }
}
