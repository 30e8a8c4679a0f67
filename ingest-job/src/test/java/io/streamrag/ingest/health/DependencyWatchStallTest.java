package io.streamrag.ingest.health;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.ingest.IngestOptions;

import com.sun.net.httpserver.HttpServer;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A dependency that sends its headers and then stalls must not hold the task thread that asks the probe (in open()). */
class DependencyWatchStallTest {

    @Test
    void anEndpointThatStallsAfterItsHeadersIsDownWithinTheTimeoutNotForever() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            byte[] start = "{".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write(start);
            ex.getResponseBody().flush();
            if (ex.getRequestURI().getPath().startsWith("/v1")) {
                try {
                    done.await(60, TimeUnit.SECONDS); // the embedding endpoint's body never ends
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                ex.getResponseBody().write("\"status\":\"green\"}".getBytes(StandardCharsets.UTF_8));
            }
            ex.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, url);
        conf.setString("embedding.provider", "openai");
        conf.setString("embedding.base-url", url + "/v1");
        conf.setString("embedding.model", "stub");
        conf.set(IngestOptions.QUARANTINE_PROBE_TIMEOUT, Duration.ofMillis(500));
        try (DependencyWatch w = new DependencyWatch(ProbeSettings.from(conf))) {
            long start = System.nanoTime();
            // Before: send() waited for the whole body, and checkNow() for it with no limit.
            // Whichever comes first, the probe's wait or the client's own bound on the body (both the probe timeout).
            assertThat(w.checkNow()).contains("embedding endpoint")
                    .containsAnyOf("did not answer within", "response body not complete within the request timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        } finally {
            done.countDown();
            server.stop(0);
        }
    }
}
