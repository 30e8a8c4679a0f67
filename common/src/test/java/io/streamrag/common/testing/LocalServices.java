package io.streamrag.common.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the real local services (Kafka, OpenSearch, ...) are up for a test JVM, starting them through the
 * same {@code deploy/local/services.sh} a user runs when they are not.
 */
public final class LocalServices {

    public static final String KAFKA_BOOTSTRAP = "127.0.0.1:9092";
    public static final String OPENSEARCH_URL = "http://127.0.0.1:9200";

    private LocalServices() {}

    /** The repository root: {@code STREAMRAG_HOME}, else the nearest parent holding {@code deploy/local/services.sh}. */
    public static Path repositoryRoot() {
        String home = System.getenv("STREAMRAG_HOME");
        if (home != null && Files.exists(Path.of(home, "deploy", "local", "services.sh"))) {
            return Path.of(home);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve("deploy/local/services.sh"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("Cannot find deploy/local/services.sh above " + Path.of("").toAbsolutePath());
    }

    public static synchronized void ensureKafka() {
        ensure("kafka", 9092);
    }

    public static synchronized void ensureOpenSearch() {
        ensure("opensearch", 9200);
    }

    /** Starts {@code service} through the project's script unless something already answers on its port. */
    public static void ensure(String service, int port) {
        if (isListening(port)) {
            return;
        }
        Path script = repositoryRoot().resolve("deploy/local/services.sh");
        try {
            Process process = new ProcessBuilder("bash", script.toString(), "start", service)
                    .inheritIO()
                    .start();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("Starting " + service + " took longer than 10 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(script + " start " + service + " exited with " + process.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting " + service, e);
        }
        if (!isListening(port)) {
            throw new IllegalStateException(service + " was started but nothing listens on 127.0.0.1:" + port);
        }
    }

    public static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
