package io.streamrag.model.testing;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension for the in-process local model server: starts one on 127.0.0.1 and an ephemeral port before the
 * class's tests and stops it after them. Register it as a static {@code @RegisterExtension} field.
 */
public class LocalModelServerExtension implements BeforeAllCallback, AfterAllCallback {

    private final Faults faults;
    private LocalModelServer server;

    /** A server without faults. */
    public LocalModelServerExtension() {
        this(new Faults());
    }

    /** A server that starts with {@code faults} (e.g. {@code Faults.parse("error=1.0")}). */
    public LocalModelServerExtension(Faults faults) {
        this.faults = faults;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = LocalModelServer.startLocal(faults);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {   // null when beforeAll failed
            server.close();
            server = null;
        }
    }

    /** The running server, for what the methods below do not cover. */
    public LocalModelServer server() {
        if (server == null) {
            throw new IllegalStateException("The local model server runs only between beforeAll and afterAll");
        }
        return server;
    }

    public int port() {
        return server().port();
    }

    /** The OpenAI base URL, {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return server().baseUrl();
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
