package io.streamrag.model.testing;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JUnit 5 extension for the in-process local model server: starts one on 127.0.0.1 and an ephemeral port before the
 * class's tests and stops it after them. Register it as a static {@code @RegisterExtension} field.
 * {@link #inChildProcess()} runs it in a JVM of its own instead, for tests that count what their own JVM holds.
 */
public class LocalModelServerExtension implements BeforeAllCallback, AfterAllCallback {

    private static final Pattern SERVING = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/v1");

    private final Faults faults;
    private final boolean childProcess;
    private LocalModelServer server;
    private Process child;
    private int childPort;

    /** A server without faults. */
    public LocalModelServerExtension() {
        this(new Faults());
    }

    /** A server that starts with {@code faults} (e.g. {@code Faults.parse("error=1.0")}). */
    public LocalModelServerExtension(Faults faults) {
        this(faults, false);
    }

    private LocalModelServerExtension(Faults faults, boolean childProcess) {
        this.faults = faults;
        this.childProcess = childProcess;
    }

    /**
     * A server without faults in a child JVM (this test's class path): the test's JVM then holds none of its threads
     * and none of the sockets it accepts, whose closing after a client's is the server's business (a leak census of
     * the test's JVM could not tell the server's side of a reset connection, which no TCP table lists, from the
     * client's). Only {@link #port()}, {@link #baseUrl()} and {@link #rootUrl()} work.
     */
    public static LocalModelServerExtension inChildProcess() {
        return new LocalModelServerExtension(new Faults(), true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (childProcess) {
            startChild();
        } else {
            server = LocalModelServer.startLocal(faults);
        }
    }

    /** Starts the server's main on an ephemeral port and waits for the line that names the port (60 s at most). */
    private void startChild() throws IOException, InterruptedException {
        Path log = Files.createTempFile("local-model-", ".log");
        log.toFile().deleteOnExit();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                LocalModelServer.class.getName(), "--host", "127.0.0.1", "--port", "0", "--threads", "16")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (childPort == 0) {
            Matcher m = SERVING.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) {
                childPort = Integer.parseInt(m.group(1));
            } else if (!child.isAlive() || System.nanoTime() > deadline) {
                child.destroyForcibly();
                throw new IllegalStateException("The local model server did not start: " + Files.readString(log));
            } else {
                Thread.sleep(50);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        if (server != null) {   // null when beforeAll failed
            server.close();
            server = null;
        }
        if (child != null) {
            child.destroy();
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            child = null;
            childPort = 0;
        }
    }

    /** The running server, for what the methods below do not cover. */
    public LocalModelServer server() {
        if (childProcess) {
            throw new IllegalStateException("The local model server runs in a child process: only its port and URLs");
        }
        if (server == null) {
            throw new IllegalStateException("The local model server runs only between beforeAll and afterAll");
        }
        return server;
    }

    public int port() {
        return childProcess && childPort != 0 ? childPort : server().port();
    }

    /** The OpenAI base URL, {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** The server's root, {@code http://127.0.0.1:<port>} (the Ollama and watsonx.ai paths). */
    public String rootUrl() {
        return "http://127.0.0.1:" + port();
    }

    public void setFaults(Faults faults) {
        server().setFaults(faults);
    }

    public void resetStats() {
        server().resetStats();
    }

    /** Requests to {@code /v1/chat/completions} so far. */
    public long chatRequests() {
        return server().chatRequests();
    }

    /** Chat requests answered with {@code status} so far. */
    public long count(int status) {
        return server().count(status);
    }

    /** Chat requests whose client had hung up when the answer was sent. */
    public long aborted() {
        return server().aborted();
    }

    /** The {@code /v1/stats} body. */
    public String statsJson() {
        return server().statsJson();
    }
}
